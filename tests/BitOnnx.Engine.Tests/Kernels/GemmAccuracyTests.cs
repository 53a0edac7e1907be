using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>The fast product against the scalar reference, within the float error bound, over many shapes.</summary>
[TestClass]
public sealed class GemmAccuracyTests
{
    private static readonly int[] EdgeSizes = [1, 2, 3, 5, 11, 12, 13, 15, 16, 17, 31, 32, 33];

    private static IEnumerable<(bool TransposeA, bool TransposeB)> TransposeCombinations =>
        [(false, false), (true, false), (false, true), (true, true)];

    [TestMethod]
    public void SmallEdgeShapesAllTransposesMatchReference()
    {
        int seed = 0;
        foreach (int m in EdgeSizes)
        {
            foreach (int n in EdgeSizes)
            {
                foreach (int k in new[] { 1, 7, 16, 33 })
                {
                    foreach ((bool ta, bool tb) in TransposeCombinations)
                    {
                        var problem = new GemmProblem(m, n, k, ta, tb, accumulate: (seed & 1) == 1, seed++);
                        problem.AssertMatchesReference(problem.Run(Gemm.Multiply), "Gemm.Multiply");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Shapes that cross every block boundary: k past one and two depth blocks (256), n past a column block (512),
    /// m past a row block (528), and the engine's odd sizes 113 and 129; each with and without accumulate and on
    /// 1, 2 and 3 threads.
    /// </summary>
    [TestMethod]
    [DataRow(113, 129, 257)]
    [DataRow(129, 113, 300)]
    [DataRow(12, 32, 256)]
    [DataRow(24, 64, 513)]
    [DataRow(255, 17, 129)]
    [DataRow(1, 600, 70)]
    [DataRow(600, 1, 70)]
    [DataRow(37, 1100, 19)]
    [DataRow(1100, 33, 31)]
    [DataRow(200, 200, 200)]
    public void BlockCrossingShapesAllTransposesAccumulateAndThreadsMatchReference(int m, int n, int k)
    {
        int seed = m * 31 + n * 7 + k;
        foreach ((bool ta, bool tb) in TransposeCombinations)
        {
            foreach (bool accumulate in new[] { false, true })
            {
                var problem = new GemmProblem(m, n, k, ta, tb, accumulate, seed++);
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    problem.AssertMatchesReference(problem.Run(Gemm.Multiply, threads), $"threads={threads}");
                }
            }
        }
    }

    [TestMethod]
    public void EngineShapesMatchReference()
    {
        // The training engine's products at full size: N = 3831 rows, d_model 128, d_mlp 512, P = 113.
        var problems = new[]
        {
            new GemmProblem(3831, 113, 128, false, false, false, 1), // R·W_U
            new GemmProblem(3831, 128, 113, false, true, false, 2),  // dLogits·W_Uᵀ
            new GemmProblem(128, 113, 3831, true, false, true, 3),   // Rᵀ·dLogits, accumulated into a gradient
        };
        foreach (GemmProblem problem in problems)
        {
            problem.AssertMatchesReference(problem.Run(Gemm.Multiply, threads: 2), "threads=2");
        }
    }

    [TestMethod]
    public void ZeroDepthZeroesCOrLeavesItWhenAccumulating()
    {
        var problem = new GemmProblem(5, 7, 0, false, false, accumulate: false, seed: 4);
        CollectionAssert.AreEqual(new float[35], problem.Run(Gemm.Multiply));
        var accumulating = new GemmProblem(5, 7, 0, true, true, accumulate: true, seed: 4);
        CollectionAssert.AreEqual(accumulating.InitialC, accumulating.Run(Gemm.Multiply));
    }

    [TestMethod]
    public void EmptyOutputTouchesNothing()
    {
        float[] c = [42f];
        Gemm.Multiply([], new float[6], c, 0, 3, 2);
        Gemm.Multiply(new float[6], [], c, 3, 0, 2);
        Assert.AreEqual(42f, c[0]);
    }

    [TestMethod]
    public void LongerSpansUseOnlyTheirLeadingElements()
    {
        var problem = new GemmProblem(9, 10, 11, false, true, false, seed: 5);
        float[] a = [.. problem.A, float.NaN, float.NaN];
        float[] b = [.. problem.B, float.NaN];
        float[] c = [.. problem.InitialC, -7f, -8f];
        Gemm.Multiply(a, b, c, 9, 10, 11, transposeB: true);
        problem.AssertMatchesReference(c[..90], "spans longer than needed");
        Assert.AreEqual(-7f, c[90]);
        Assert.AreEqual(-8f, c[91]);
    }

    [TestMethod]
    public void SpecialValuesPropagateAsInTheReference()
    {
        // An infinity in A reaches exactly the row of C it multiplies; a NaN in B exactly its column.
        float[] a = [1, 2, float.PositiveInfinity, 1];  // 2×2
        float[] b = [1, float.NaN, 1, 1];               // 2×2
        var fast = new float[4];
        var reference = new float[4];
        Gemm.Multiply(a, b, fast, 2, 2, 2);
        GemmReference.Multiply(a, b, reference, 2, 2, 2);
        Assert.AreEqual(3f, fast[0]);
        Assert.IsTrue(float.IsNaN(fast[1]) && float.IsNaN(fast[3]));
        Assert.AreEqual(float.PositiveInfinity, fast[2]);
        CollectionAssert.AreEqual(reference, fast);
    }
}
