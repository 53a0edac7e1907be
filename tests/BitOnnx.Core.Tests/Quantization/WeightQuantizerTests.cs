using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;

namespace BitOnnx.Core.Tests.Quantization;

/// <summary>Quantizers on cases worked out by hand from docs/recipe.md's formulas.</summary>
[TestClass]
public sealed class WeightQuantizerTests
{
    private static float[] Quantize(float[] w, WeightQuantization mode, BinaryScale scale = BinaryScale.None)
    {
        var output = new float[w.Length];
        WeightQuantizer.Quantize(w, output, mode, scale);
        return output;
    }

    [TestMethod]
    public void BinarySignsAroundTheMean()
    {
        // mean = 1.0: c = [-1, 1.5, -0.5, 0]; the last weight sits exactly at the mean (a tie) and, as torch.sign, gets 0.
        CollectionAssert.AreEqual(new[] { -1f, 1f, -1f, 0f }, Quantize([0f, 2.5f, 0.5f, 1f], WeightQuantization.Binary));
    }

    [TestMethod]
    public void BinaryAbsMeanScaleIsMeanMagnitudeOfLatentWeights()
    {
        // mean = 0.25, β = mean|W| = (1 + 3 + 2 + 1) / 4 = 1.75; c = [0.75, -3.25, 1.75, 0.75].
        CollectionAssert.AreEqual(new[] { 1.75f, -1.75f, 1.75f, 1.75f },
            Quantize([1f, -3f, 2f, 1f], WeightQuantization.Binary, BinaryScale.AbsMean));
    }

    [TestMethod]
    public void TernaryRoundsHalfToEven()
    {
        // mean = 0, γ = mean|c| = (0.5 + 0.5 + 1.5 + 1.5 + 4 + 4) / 6 = 2; c/γ = [0.25, -0.25, 0.75, -0.75, 2, -2].
        CollectionAssert.AreEqual(new[] { 0f, -0f, 2f, -2f, 2f, -2f },
            Quantize([0.5f, -0.5f, 1.5f, -1.5f, 4f, -4f], WeightQuantization.Ternary));
        // γ = 2 again with c/γ exactly ±0.5 and ±1.5: half to even gives 0 and ±2 → clamped to ±1.
        CollectionAssert.AreEqual(new[] { 0f, -0f, 2f, -2f },
            Quantize([1f, -1f, 3f, -3f], WeightQuantization.Ternary));
    }

    [TestMethod]
    public void TernaryCodesAndScale()
    {
        var codes = new float[4];
        var gamma = WeightQuantizer.Codes([3f, -1f, 1f, 1f], codes, WeightQuantization.Ternary, BinaryScale.None);
        // mean 1, c = [2, -2, 0, 0], γ = 1, codes = [1, -1, 0, 0].
        Assert.AreEqual(1f, gamma);
        CollectionAssert.AreEqual(new[] { 1f, -1f, 0f, 0f }, codes);
    }

    [TestMethod]
    public void AllEqualWeightsQuantizeToZero()
    {
        // c = 0 everywhere: binary sign(0) = 0; ternary γ falls to its 1e-5 floor and round(0) = 0.
        CollectionAssert.AreEqual(new[] { 0f, 0f, 0f }, Quantize([0.7f, 0.7f, 0.7f], WeightQuantization.Binary));
        var codes = new float[3];
        var gamma = WeightQuantizer.Codes([0.7f, 0.7f, 0.7f], codes, WeightQuantization.Ternary, BinaryScale.None);
        Assert.AreEqual((float)WeightQuantizer.TernaryScaleFloor, gamma);
        CollectionAssert.AreEqual(new[] { 0f, 0f, 0f }, codes);
    }

    [TestMethod]
    public void FullPrecisionIsTheIdentity()
    {
        float[] w = [0.3f, -2f, 7f];
        CollectionAssert.AreEqual(w, Quantize(w, WeightQuantization.None));
    }

    [TestMethod]
    public void StraightThroughSubtractsTheGradientMean()
    {
        float[] g = [1f, 2f, 6f];
        WeightQuantizer.StraightThrough(g, WeightQuantization.Binary);
        CollectionAssert.AreEqual(new[] { -2f, -1f, 3f }, g);
        float[] h = [1f, 2f, 6f];
        WeightQuantizer.StraightThrough(h, WeightQuantization.None);
        CollectionAssert.AreEqual(new[] { 1f, 2f, 6f }, h);
    }

    [TestMethod]
    public void StraightThroughIsTheGradientOfTheCentredIdentity()
    {
        // The STE treats the forward map as W ↦ W − mean(W); its Jacobian-vector product, by finite differences of
        // L(W) = Σ g_i (W_i − mean W), must equal G − mean(G).
        double[] w = [0.1, -0.4, 0.9, 0.3];
        double[] g = [0.5, -1.5, 2.0, 0.25];
        double Loss(double[] x) => x.Select((v, i) => g[i] * (v - x.Average())).Sum();
        var ste = g.Select(v => (float)v).ToArray();
        WeightQuantizer.StraightThrough(ste, WeightQuantization.Ternary);
        for (var i = 0; i < w.Length; i++)
        {
            var plus = (double[])w.Clone();
            var minus = (double[])w.Clone();
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            Assert.AreEqual((Loss(plus) - Loss(minus)) / 2e-6, ste[i], 1e-6);
        }
    }
}

[TestClass]
public sealed class WeightQuantizerFastPathTests
{
    [TestMethod]
    [DataRow(WeightQuantization.Binary, BinaryScale.None)]
    [DataRow(WeightQuantization.Binary, BinaryScale.AbsMean)]
    [DataRow(WeightQuantization.Ternary, BinaryScale.None)]
    public void VectorisedCodesMatchTheScalarReference(WeightQuantization mode, BinaryScale scale)
    {
        // The fast path is 256-bit wide: it runs on AVX2 and on AVX-512 machines alike. Where it cannot run, the
        // quantizer is the reference, and comparing the reference with itself would prove nothing.
        if (!System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
            Assert.Inconclusive("This CPU has no 256-bit vectors (AVX2): the quantizer takes its scalar reference path.");
        var random = new Random(17);
        foreach (var length in new[] { 1, 15, 16, 17, 1000, 16384 + 7 })
        {
            var w = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] fast = new float[length], reference = new float[length];
            var s1 = WeightQuantizer.Codes(w, fast, mode, scale);
            var s2 = WeightQuantizerReference.Codes(w, reference, mode, scale);
            Assert.AreEqual(s2, s1, 1e-6f * Math.Abs(s2), $"scale, length {length}");
            CollectionAssert.AreEqual(reference, fast, $"codes, length {length}");
        }
    }

    [TestMethod]
    public void VectorisedTernaryRoundsTiesToEvenAndBinaryKeepsTiesAtZero()
    {
        // Eight or more weights take the vector path (on a CPU with AVX2 or AVX-512). Mean 0 and γ = 2 put c/γ exactly on ±0.5 and ±1.5.
        var w = Enumerable.Repeat(new[] { 1f, -1f, 3f, -3f }, 8).SelectMany(x => x).ToArray();
        var codes = new float[w.Length];
        Assert.AreEqual(2f, WeightQuantizer.Codes(w, codes, WeightQuantization.Ternary, BinaryScale.None));
        CollectionAssert.AreEqual(Enumerable.Repeat(new[] { 0f, -0f, 1f, -1f }, 8).SelectMany(x => x).ToArray(), codes);
        var flat = Enumerable.Repeat(0.25f, 32).ToArray();
        WeightQuantizer.Codes(flat, codes, WeightQuantization.Binary, BinaryScale.None);
        CollectionAssert.AreEqual(new float[32], codes);
    }
}
