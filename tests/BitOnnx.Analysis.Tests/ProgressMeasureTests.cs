using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.Fourier;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Progress;
using BitOnnx.Analysis.Tests.Synthetic;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class ProgressMeasureTests
{
    private const int P = 37;
    private static readonly int[] Keys = [3, 11, 16];

    private static float[] ClockLogits(double scale)
    {
        var logits = new float[P * P * P];
        for (int a = 0; a < P; a++)
            for (int b = 0; b < P; b++)
                for (int c = 0; c < P; c++)
                    logits[(a * P + b) * P + c] = (float)(scale * Keys.Sum(k => Math.Cos(2 * Math.PI * k * (a + b - c) / P)));
        return logits;
    }

    [TestMethod]
    public void ClockLogitsKeepTheirLossWhenRestrictedAndLoseItWhenExcluded()
    {
        var logits = ClockLogits(4);
        var train = SyntheticTraining.TrainRows(P, 0.3, 1);
        double full = ModularAdditionLoss.Mean(logits, P, ModularAdditionLoss.AllRows(P));
        double restricted = FrequencyAblation.RestrictedLoss(logits, P, Keys);
        double excluded = FrequencyAblation.ExcludedLoss(logits, P, Keys, train);
        Assert.AreEqual(full, restricted, 1e-5 * full, "the logits lie entirely in the key frequencies' cos/sin(w(a+b)) span");
        Assert.AreEqual(Math.Log(P), excluded, 1e-5, "without those components every logit row is constant: the uniform loss ln P");
        Assert.IsTrue(full < 0.5, $"sanity: the clock itself is confident (loss {full})");
    }

    [TestMethod]
    public void ExcludingAnUnusedFrequencyChangesNothing()
    {
        var logits = ClockLogits(4);
        var train = SyntheticTraining.TrainRows(P, 0.3, 1);
        double full = ModularAdditionLoss.Mean(logits, P, train);
        Assert.AreEqual(full, FrequencyAblation.ExcludedLoss(logits, P, [7], train), 1e-6 * full);
        Assert.AreEqual(Math.Log(P), FrequencyAblation.RestrictedLoss(logits, P, [7]), 1e-5,
            "restricted to a frequency the logits do not use, only each output's mean is left");
    }

    [TestMethod]
    public void SumDirectionsAreOrthonormalCosAndSinOfAPlusB()
    {
        var dirs = FrequencyAblation.SumDirections(P, Keys);
        Assert.AreEqual(6, dirs.Length);
        for (int i = 0; i < dirs.Length; i++)
            for (int j = 0; j < dirs.Length; j++)
            {
                double dot = dirs[i].Zip(dirs[j], (x, y) => x * y).Sum();
                Assert.AreEqual(i == j ? 1 : 0, dot, 1e-10);
            }
        double norm = Math.Sqrt(P * P / 2.0);
        Assert.AreEqual(Math.Cos(2 * Math.PI * 3 * (5 + 9) / P) / norm, dirs[0][5 * P + 9], 1e-12);
        Assert.AreEqual(Math.Sin(2 * Math.PI * 3 * (5 + 9) / P) / norm, dirs[1][5 * P + 9], 1e-12);
    }

    [TestMethod]
    public void GiniOfOneHotAndUniformVectors()
    {
        var oneHot = new double[50];
        oneHot[17] = 3;
        Assert.AreEqual(49.0 / 50, Gini.Of(oneHot), 1e-12);
        Assert.AreEqual(0, Gini.Of(Enumerable.Repeat(0.7, 50).ToArray()), 1e-12);
    }

    [TestMethod]
    public void GiniMatchesThePairwiseDefinition()
    {
        var rng = new Random(4);
        var x = Enumerable.Range(0, 40).Select(_ => rng.NextDouble() * rng.NextDouble()).ToArray();
        double pairwise = 0;
        foreach (var xi in x) foreach (var xj in x) pairwise += Math.Abs(xi - xj);
        Assert.AreEqual(pairwise / (2 * x.Length * x.Sum()), Gini.Of(x), 1e-12);
    }

    [TestMethod]
    public void NeuronLogitNormsAndWeightSumMatchDirectComputation()
    {
        const int p = 11, dModel = 4, dMlp = 6;
        var rng = new Random(9);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var weights = new InMemoryWeightSource()
            .Add(ParameterNames.MlpOut(0), R(dMlp * dModel), dMlp, dModel)
            .Add(ParameterNames.Unembed, R(dModel * p), dModel, p)
            .Add("extra", [1f, 2f], 2);
        var cp = new CheckpointInputs(0, new InMemoryProbeSource(p), weights);
        var basis = new FourierBasis(p);
        var norms = ProgressMeasures.NeuronLogitFourierNorms(basis, cp);
        weights.TryGet(ParameterNames.MlpOut(0), out var wo);
        weights.TryGet(ParameterNames.Unembed, out var wu);
        for (int r = 0; r < p; r++)
        {
            double s = 0;
            for (int n = 0; n < dMlp; n++)
            {
                double v = 0;
                for (int c = 0; c < p; c++)
                {
                    double wl = 0;
                    for (int d = 0; d < dModel; d++) wl += (double)wo.Data[n * dModel + d] * wu.Data[d * p + c];
                    v += wl * basis[r, c];
                }
                s += v * v;
            }
            Assert.AreEqual(Math.Sqrt(s), norms[r], 1e-9);
        }
        double squares = wo.Data.Sum(v => (double)v * v) + wu.Data.Sum(v => (double)v * v) + 5;
        Assert.AreEqual(squares, ProgressMeasures.SumOfSquares(weights), 1e-9);
    }

    [TestMethod]
    public void SeriesOverASyntheticGrokkingRunShowTheCircuitForming()
    {
        var spec = new SyntheticModelSpec { P = 31, DModel = 8, DMlp = 16, NHeads = 1, KeyFrequencies = [4, 9], Noise = 0.02 };
        var train = SyntheticTraining.TrainRows(spec.P, 0.3, 2);
        var checkpoints = SyntheticTraining.Checkpoints(spec, train, epochs: 10000, every: 1000);
        var reports = new List<AnalysisProgress>();
        var s = ProgressMeasures.Compute(checkpoints, train, spec.KeyFrequencies, new SyncProgress(reports));
        Assert.AreEqual(11, s.Epochs.Length);
        Assert.IsTrue(s.RestrictedLoss[^1] < 0.2 * s.RestrictedLoss[0], "the restricted loss falls as the circuit forms");
        Assert.IsTrue(s.ExcludedLoss.Max() > 3 * s.ExcludedLoss[2], "the excluded loss rises while the circuit replaces memorisation");
        Assert.IsTrue(s.GiniEmbedding[^1] > s.GiniEmbedding[0] + 0.3, "the embedding becomes sparse in the Fourier basis");
        Assert.AreEqual(11, reports.Count);
        Assert.AreEqual(1.0, reports[^1].Fraction, 1e-12);
    }
}

/// <summary>IProgress that records on the calling thread (Progress&lt;T&gt; posts asynchronously).</summary>
internal sealed class SyncProgress(List<AnalysisProgress> sink) : IProgress<AnalysisProgress>
{
    public void Report(AnalysisProgress value) => sink.Add(value);
}
