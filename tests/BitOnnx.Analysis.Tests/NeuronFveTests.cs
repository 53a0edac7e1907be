using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.Fourier;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class NeuronFveTests
{
    private const int P = 29;

    // Neuron activations [P², n] from one function of (a, b) per neuron.
    private static float[] Neurons(params Func<int, int, double>[] maps)
    {
        var data = new float[P * P * maps.Length];
        for (int a = 0; a < P; a++)
            for (int b = 0; b < P; b++)
                for (int n = 0; n < maps.Length; n++)
                    data[(a * P + b) * maps.Length + n] = (float)maps[n](a, b);
        return data;
    }

    private static double W(int f) => 2 * Math.PI * f / P;

    [TestMethod]
    public void DegreeTwoPolynomialOfOneFrequencyHasFVEOneThere()
    {
        const int f = 7;
        double Poly(int a, int b) =>
            1.3 + 0.7 * Math.Cos(W(f) * a) - 0.2 * Math.Sin(W(f) * b) + 0.5 * Math.Cos(W(f) * a) * Math.Cos(W(f) * b)
            + 0.9 * Math.Sin(W(f) * a) * Math.Cos(W(f) * b) - 0.4 * Math.Sin(W(f) * a) * Math.Sin(W(f) * b);
        var result = NeuronFourierAnalysis.Analyze(new FourierBasis(P), Neurons(Poly), 1, [0], new KeyFrequencyOptions());
        Assert.AreEqual(f, result.BestFrequency[0]);
        Assert.AreEqual(1.0, result.BestFve[0], 1e-6);
        for (int g = 1; g <= result.Frequencies; g++)
            if (g != f) Assert.AreEqual(0.0, result.Fve[g - 1], 1e-6, $"frequency {g}");
    }

    [TestMethod]
    public void MapSplitBetweenTwoFrequenciesSplitsItsFVEByEnergy()
    {
        // cos(w3 a)·cos(w3 b) lies in frequency 3's block, 2·sin(w10 a) in frequency 10's.
        double Map(int a, int b) => Math.Cos(W(3) * a) * Math.Cos(W(3) * b) + 2 * Math.Sin(W(10) * a);
        // Σ_{a,b} cos²(w a)cos²(w b) = (P/2)², Σ_{a,b} 4 sin²(w a) = 4·P·(P/2); the terms are orthogonal.
        double e3 = (P / 2.0) * (P / 2.0), e10 = 4 * P * (P / 2.0);
        var result = NeuronFourierAnalysis.Analyze(new FourierBasis(P), Neurons(Map), 1, [], new KeyFrequencyOptions());
        Assert.AreEqual(e3 / (e3 + e10), result.Fve[2], 1e-6);
        Assert.AreEqual(e10 / (e3 + e10), result.Fve[9], 1e-6);
        Assert.AreEqual(10, result.BestFrequency[0]);
    }

    [TestMethod]
    public void ConstantNeuronIsDeadAndLeftOutOfTheStatistics()
    {
        double Flat(int a, int b) => 0.25;
        double Clean(int a, int b) => Math.Cos(W(5) * (a + b));
        var result = NeuronFourierAnalysis.Analyze(new FourierBasis(P), Neurons(Flat, Clean), 2, [0, 1], new KeyFrequencyOptions());
        Assert.AreEqual(1, result.Stats.Dead);
        Assert.IsTrue(double.IsNaN(result.BestFve[0]));
        Assert.AreEqual(1.0, result.Stats.Median, 1e-6);
        Assert.AreEqual(1, result.FveHistogram.Counts.Sum());
        Assert.AreEqual(0.0, result.Maps[1].FourierNorms[0], "Â[0,0] is set to 0");
    }

    [TestMethod]
    public void FourierNormsOfANeuronMatchTheDirectTransform()
    {
        double Map(int a, int b) => Math.Max(0, Math.Cos(W(4) * a + 1) + Math.Cos(W(4) * b + 2));
        var basis = new FourierBasis(P);
        var result = NeuronFourierAnalysis.Analyze(basis, Neurons(Map), 1, [0], new KeyFrequencyOptions());
        var map = new double[P * P];
        for (int a = 0; a < P; a++) for (int b = 0; b < P; b++) map[a * P + b] = (float)Map(a, b);
        var direct = FourierTransform2D.TransformReference(basis, map, 1);
        direct[0] = 0;
        for (int i = 0; i < direct.Length; i++) Assert.AreEqual(Math.Abs(direct[i]), result.Maps[0].FourierNorms[i], 1e-9);
        CollectionAssert.AreEqual(map, result.Maps[0].Activation);
    }
}
