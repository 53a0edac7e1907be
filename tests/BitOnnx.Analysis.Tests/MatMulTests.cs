using BitOnnx.Analysis.Fourier;
using BitOnnx.Analysis.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class MatMulTests
{
    [DataTestMethod]
    [DataRow(1, 1, 1, false)]
    [DataRow(4, 7, 8, false)]
    [DataRow(5, 3, 17, false)]
    [DataRow(113, 113, 57, false)]
    [DataRow(113, 113, 1000, true)]
    [DataRow(9, 31, 4096, true)]
    public void FastKernelMatchesTheScalarReference(int m, int k, int n, bool parallel)
    {
        var rng = new Random(m * 1000 + k * 10 + n);
        var a = Enumerable.Range(0, m * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var fast = new double[m * n];
        var reference = new double[m * n];
        MatMul.Multiply(a, b, fast, m, k, n, parallel);
        MatMulReference.Multiply(a, b, reference, m, k, n);
        for (int i = 0; i < fast.Length; i++) Assert.AreEqual(reference[i], fast[i], 1e-12, $"element {i}");
    }

    [TestMethod]
    public void TwoDimensionalTransformMatchesTheDefinitionAndKeepsEnergy()
    {
        const int p = 13, channels = 5;
        var basis = new FourierBasis(p);
        var rng = new Random(3);
        var maps = Enumerable.Range(0, p * p * channels).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var fast = new double[maps.Length];
        FourierTransform2D.Transform(basis, maps, channels, fast, new double[maps.Length]);
        var reference = FourierTransform2D.TransformReference(basis, maps, channels);
        for (int i = 0; i < fast.Length; i++) Assert.AreEqual(reference[i], fast[i], 1e-12);
        for (int c = 0; c < channels; c++)
        {
            double before = 0, after = 0;
            for (int i = 0; i < p * p; i++)
            {
                before += maps[i * channels + c] * maps[i * channels + c];
                after += fast[i * channels + c] * fast[i * channels + c];
            }
            Assert.AreEqual(before, after, 1e-10, "F is orthonormal, so F·A·Fᵀ keeps the Frobenius norm (Parseval).");
        }
    }
}
