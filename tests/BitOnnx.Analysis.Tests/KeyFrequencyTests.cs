using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.Fourier;
using BitOnnx.Analysis.Tests.Synthetic;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class KeyFrequencyTests
{
    private static double[] EmbeddingFrom(int p, int dModel, IReadOnlyList<int> freqs, double noise, int seed)
    {
        // Each chosen frequency gets a random 2-D plane of the residual stream with its own amplitude and phase.
        var rng = new Random(seed);
        var e = new double[p * dModel];
        for (int i = 0; i < freqs.Count; i++)
        {
            double amplitude = 0.5 + rng.NextDouble(), phase = 2 * Math.PI * rng.NextDouble();
            var u = Enumerable.Range(0, dModel).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var v = Enumerable.Range(0, dModel).Select(_ => rng.NextDouble() - 0.5).ToArray();
            for (int x = 0; x < p; x++)
            {
                double angle = 2 * Math.PI * freqs[i] * x / p + phase;
                for (int d = 0; d < dModel; d++) e[x * dModel + d] += amplitude * (Math.Cos(angle) * u[d] + Math.Sin(angle) * v[d]);
            }
        }
        for (int i = 0; i < e.Length; i++) e[i] += noise * SyntheticFourierModel.Gaussian(rng);
        return e;
    }

    [DataTestMethod]
    [DataRow(0.0)]
    [DataRow(0.02)]
    public void EmbeddingBuiltFromChosenFrequenciesYieldsExactlyThose(double noise)
    {
        const int p = 113, d = 128;
        int[] chosen = [14, 35, 41, 42, 52];
        var basis = new FourierBasis(p);
        var result = EmbeddingFourierAnalysis.Analyze(basis, EmbeddingFrom(p, d, chosen, noise, 5), d, new KeyFrequencyOptions());
        CollectionAssert.AreEqual(chosen, result.KeyFrequencies);
        Assert.AreEqual(p, result.RowNorms.Length);
        Assert.AreEqual(56, result.FrequencyNorms.Length);
    }

    [TestMethod]
    public void FrequencyNormsAreTheEmbeddingEnergyAtThatFrequency()
    {
        // A single cosine of frequency 9 with amplitude A in one column: ‖F·e‖ at cos 9 is A·√(P/2), all else 0.
        const int p = 31, d = 3;
        var e = new double[p * d];
        for (int x = 0; x < p; x++) e[x * d + 1] = 2.5 * Math.Cos(2 * Math.PI * 9 * x / p);
        var result = EmbeddingFourierAnalysis.Analyze(new FourierBasis(p), e, d, new KeyFrequencyOptions());
        Assert.AreEqual(2.5 * Math.Sqrt(p / 2.0), result.FrequencyNorms[8], 1e-10);
        Assert.AreEqual(2.5 * Math.Sqrt(p / 2.0), result.RowNorms[17], 1e-10);
        Assert.AreEqual(0, result.RowNorms.Where((_, r) => r != 17).Max(), 1e-10);
        CollectionAssert.AreEqual(new[] { 9 }, result.KeyFrequencies);
    }

    [DataTestMethod]
    [DataRow(128, 11)]
    [DataRow(128, 12)]
    [DataRow(8, 13)]
    [DataRow(8, 14)]
    public void UnstructuredEmbeddingHasNoKeyFrequencies(int d, int seed)
    {
        const int p = 113;
        var rng = new Random(seed);
        var e = Enumerable.Range(0, p * d).Select(_ => SyntheticFourierModel.Gaussian(rng)).ToArray();
        var result = EmbeddingFourierAnalysis.Analyze(new FourierBasis(p), e, d, new KeyFrequencyOptions());
        Assert.AreEqual(0, result.KeyFrequencies.Length, "white noise has a flat spectrum: nothing is 6 robust sigmas out");
    }

    [TestMethod]
    public void KeyFrequenciesAreFoundUnderHeavyNoise()
    {
        // Binary-like noise (σ = 0.35 on every weight) raises the floor of every frequency.
        const int p = 113, d = 128;
        int[] chosen = [17, 25, 32, 47];
        var result = EmbeddingFourierAnalysis.Analyze(new FourierBasis(p), EmbeddingFrom(p, d, chosen, 0.35, 6), d, new KeyFrequencyOptions());
        CollectionAssert.AreEqual(chosen, result.KeyFrequencies);
    }

    [TestMethod]
    public void NeuronClustersRecoverTheFrequenciesTheNeuronsUse()
    {
        var spec = new SyntheticModelSpec { P = 53, DModel = 16, DMlp = 120, KeyFrequencies = [4, 11, 19], Noise = 0.02 };
        var model = new SyntheticFourierModel(spec);
        var analysis = ModelAnalyzer.Analyze(new ModelInputs("synthetic", model.Probes(), model.Weights()));
        CollectionAssert.AreEqual(new[] { 4, 11, 19 }, analysis.NeuronKeyFrequencies);
        CollectionAssert.AreEqual(new[] { 4, 11, 19 }, analysis.EmbeddingKeyFrequencies);
        Assert.AreEqual(120, analysis.Neurons!.ClusterSizes.Values.Sum() + analysis.Neurons.Unclustered + analysis.Neurons.Stats.Dead);
        for (int n = 0; n < 120; n++) Assert.AreEqual(spec.KeyFrequencies[n % 3], analysis.Neurons.BestFrequency[n], $"neuron {n}");
    }
}
