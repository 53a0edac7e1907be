using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>
/// The ReLU and its backward mask applied as the product writes C: bit for bit the plain product followed by the scalar
/// ReLU references, with every kernel this machine runs, on shapes with ragged tiles, several depth blocks (the
/// epilogue must wait for the last) and several column blocks and depth groups.
/// </summary>
[TestClass]
public sealed class GemmEpilogueTests
{
    private static readonly (int M, int N, int K)[] Shapes =
        [(1, 1, 1), (7, 17, 33), (13, 33, 257), (25, 65, 600), (40, 600, 3000), (131, 130, 128)];

    [TestMethod]
    public void MultiplyReluIsTheReluOfTheProduct()
    {
        foreach (var (m, n, k) in Shapes)
            foreach (var transposeB in new[] { false, true })
                foreach (var threads in new[] { 1, 2 })
                {
                    var problem = new GemmProblem(m, n, k, false, transposeB, false, seed: m + n + k);
                    var expected = problem.Run(Gemm.Multiply, threads);
                    ReluReference.Forward(expected, expected);
                    var actual = new float[m * n];
                    Gemm.MultiplyRelu(problem.A, problem.B, actual, m, n, k, transposeB, threads);
                    GemmProblem.AssertBitIdentical(expected, actual, $"{problem}, threads={threads}");
                    if (m * n > 100)
                    {
                        Assert.IsTrue(actual.Any(v => v == 0f) && actual.Any(v => v > 0f), $"{problem}: both signs should occur");
                    }
                }
    }

    [TestMethod]
    public void MultiplyWherePositiveKeepsTheProductWhereTheMaskIsPositive()
    {
        foreach (var (m, n, k) in Shapes)
            foreach (var transposeB in new[] { false, true })
                foreach (var threads in new[] { 1, 2 })
                {
                    var problem = new GemmProblem(m, n, k, false, transposeB, false, seed: 3 * (m + n + k));
                    var mask = MaskWithZeros(m * n, seed: m * n);
                    var product = problem.Run(Gemm.Multiply, threads);
                    var expected = new float[m * n];
                    ReluReference.Backward(mask, product, expected);
                    var actual = new float[m * n];
                    Gemm.MultiplyWherePositive(problem.A, problem.B, mask, actual, m, n, k, transposeB, threads);
                    GemmProblem.AssertBitIdentical(expected, actual, $"{problem}, threads={threads}");
                }
    }

    [TestMethod]
    public void EveryKernelAppliesTheEpilogueToWholeAndPartialTiles()
    {
        AssertKernel<ScalarMicroKernel>();
        if (Avx2MicroKernel.IsSupported) AssertKernel<Avx2MicroKernel>();
        if (Avx512MicroKernel.IsSupported) AssertKernel<Avx512MicroKernel>();
    }

    [TestMethod]
    public void AShortOrOverlappingMaskIsRefusedWithItsName()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        var shortMask = Assert.ThrowsException<ArgumentException>(() => Gemm.MultiplyWherePositive(a, b, new float[3], c, 2, 2, 3));
        Assert.AreEqual("mask", shortMask.ParamName);
        StringAssert.Contains(shortMask.Message, "2×2");
        var shared = new float[8];
        var overlapping = Assert.ThrowsException<ArgumentException>(
            () => Gemm.MultiplyWherePositive(a, b, shared.AsSpan(0, 4), shared.AsSpan(2, 4), 2, 2, 3));
        Assert.AreEqual("mask", overlapping.ParamName);
    }

    private static void AssertKernel<TKernel>()
        where TKernel : struct, IGemmMicroKernel
    {
        foreach (var (m, n, k) in Shapes)
        {
            var problem = new GemmProblem(m, n, k, false, false, false, seed: 5 * (m + n + k));
            var shape = new GemmShape(m, n, k, false, false, false);
            var product = new float[m * n];
            Gemm.Multiply<TKernel>(problem.A, problem.B, product, shape, threads: 1);

            var relu = (float[])product.Clone();
            ReluReference.Forward(relu, relu);
            var fused = new float[m * n];
            Gemm.Multiply<TKernel>(problem.A, problem.B, fused, shape, threads: 1, EpilogueKind.Relu);
            GemmProblem.AssertBitIdentical(relu, fused, $"{typeof(TKernel).Name} ReLU, {problem}");

            var mask = MaskWithZeros(m * n, seed: k);
            var masked = new float[m * n];
            ReluReference.Backward(mask, product, masked);
            Gemm.Multiply<TKernel>(problem.A, problem.B, fused, shape, threads: 1, EpilogueKind.KeepWherePositive, mask);
            GemmProblem.AssertBitIdentical(masked, fused, $"{typeof(TKernel).Name} mask, {problem}");
        }
    }

    /// <summary>A ReLU output's pattern: about half exact zeros, the rest positive.</summary>
    private static float[] MaskWithZeros(int count, int seed)
    {
        var random = new Random(seed);
        var mask = new float[count];
        for (var i = 0; i < count; i++) mask[i] = random.Next(2) == 0 ? 0f : (float)random.NextDouble() + 1e-3f;
        return mask;
    }
}
