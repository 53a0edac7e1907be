using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>Which products are computed transposed, and that doing so changes no bit.</summary>
[TestClass]
public sealed class GemmOrientationTests
{
    private const int Rows = 3831, Model = 128, Mlp = 512, Vocabulary = 113;

    [TestMethod]
    public void TallWeightGradientsAreTurnedRoundAndNothingElse()
    {
        Assert.IsTrue(GemmOrientation.ComputesTransposed(new GemmShape(Mlp, Model, Rows, true, false, false)), "Hᵀ·dR");
        Assert.IsTrue(GemmOrientation.ComputesTransposed(new GemmShape(Model, Vocabulary, Rows, true, false, true)), "Rᵀ·dLogits");
        Assert.IsFalse(GemmOrientation.ComputesTransposed(new GemmShape(Model, Mlp, Rows, true, false, false)), "Xᵀ·dH is wide already");
        Assert.IsFalse(GemmOrientation.ComputesTransposed(new GemmShape(Rows, Vocabulary, Model, false, false, false)), "R·W_U");
        Assert.IsFalse(GemmOrientation.ComputesTransposed(new GemmShape(Rows, Model, Mlp, false, true, false)), "dH·W_inᵀ");
        Assert.IsFalse(GemmOrientation.ComputesTransposed(new GemmShape(Mlp, Model, GemmOrientation.MinDepth - 1, true, false, false)),
            "a short k");
    }

    [TestMethod]
    public void TransposedSwapsDimensionsAndNegatesTheFlags()
    {
        var shape = new GemmShape(5, 3, 2000, true, false, true);
        Assert.AreEqual(new GemmShape(3, 5, 2000, true, false, true), GemmOrientation.Transposed(shape));
        Assert.AreEqual(new GemmShape(7, 9, 4, false, true, false), GemmOrientation.Transposed(new GemmShape(9, 7, 4, false, true, false)));
    }

    /// <summary>
    /// The turned-round product against the same product computed the given way: the same bits (every element one
    /// fused multiply-add chain in k order either way), with and without accumulate, on one thread and two; and
    /// against the scalar reference within the float bound.
    /// </summary>
    [TestMethod]
    [DataRow(77, 45, 1100)]
    [DataRow(300, 37, 1500)]
    [DataRow(129, 113, 1024)]
    public void TurnedRoundGivesTheBitsOfTheGivenWay(int m, int n, int k)
    {
        foreach (bool accumulate in new[] { false, true })
        {
            var problem = new GemmProblem(m, n, k, true, false, accumulate, seed: m + n + k);
            var shape = new GemmShape(m, n, k, true, false, accumulate);
            Assert.IsTrue(GemmOrientation.ComputesTransposed(shape), $"{problem} should be turned round");
            foreach (int threads in new[] { 1, 2 })
            {
                float[] turned = problem.Run(Gemm.Multiply, threads);
                problem.AssertMatchesReference(turned, $"threads={threads}");
                float[] given = (float[])problem.InitialC.Clone();
                RunAsGiven(problem, given, shape, threads);
                GemmProblem.AssertBitIdentical(given, turned, $"{problem}, threads={threads}");
            }
        }
    }

    private static void RunAsGiven(GemmProblem problem, float[] c, in GemmShape shape, int threads)
    {
        if (Avx512MicroKernel.IsSupported)
        {
            Gemm.MultiplyAsGiven<Avx512MicroKernel>(problem.A, problem.B, c, shape, threads);
        }
        else if (Avx2MicroKernel.IsSupported)
        {
            Gemm.MultiplyAsGiven<Avx2MicroKernel>(problem.A, problem.B, c, shape, threads);
        }
        else
        {
            Gemm.MultiplyAsGiven<ScalarMicroKernel>(problem.A, problem.B, c, shape, threads);
        }
    }
}
