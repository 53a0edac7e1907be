using System.Text.Json.Nodes;
using BitOnnx.Analysis.Progress;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using AnalysisRun = BitOnnx.Analysis.Runs.TrainingRun;

namespace BitOnnx.Analysis.Tests;

/// <summary>Progress measures over a run's checkpoints, each exported and probed through ONNX Runtime.</summary>
[TestClass]
public sealed class CheckpointSeriesTests
{
    private static readonly Lazy<string> BinaryRun = new(() =>
    {
        var folder = TempDir.NewPath("bitonnx-checkpoint-series-tests");
        var config = TransformerConfig.FromPreset("li2024") with { P = 11, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, NLayers = 1, Quantization = WeightQuantization.Binary };
        new Trainer(config, new TrainingOptions { Epochs = 30, Seed = 2, LogEvery = 10, CheckpointEvery = 10, Threads = 1 }, new RunFolder(folder), EngineBackend.Instance).Run();
        return folder;
    });

    [TestMethod]
    public void LossesMatchTheEngineLogAndTheWeightNormIsOverLatentWeights()
    {
        var run = AnalysisRun.Load(BinaryRun.Value);
        var reports = new List<BitOnnx.Analysis.AnalysisProgress>();
        var series = CheckpointSeries.Measure(run, [1, 2], progress: new SyncProgress(reports))!;

        CollectionAssert.AreEqual(new[] { 10, 20, 30 }, series.Epochs);
        CollectionAssert.AreEqual(new[] { 1, 2 }, series.KeyFrequencies);
        var logged = new RunFolder(BinaryRun.Value).ReadMetrics().ToDictionary(m => m.Epoch);
        for (int i = 0; i < series.Epochs.Length; i++)
        {
            // The trainer evaluates the test loss after the step, on the weights the checkpoint holds.
            double engine = logged[series.Epochs[i]].TestLoss;
            Assert.AreEqual(engine, series.TestLoss[i], 1e-5 * engine, $"test loss at epoch {series.Epochs[i]}");

            var parameters = ModelCheckpoint.Load(run.Checkpoints[i].Path).Parameters;
            double latent = parameters.Data.Sum(v => (double)v * v);
            double folded = parameters.Entries.Sum(e => e.Quantizable ? e.Shape.Size : parameters.Slice(e).ToArray().Sum(v => (double)v * v));
            Assert.AreEqual(latent, series.SumSquaredWeights[i], 1e-9 * latent, "Σw² over the latent weights");
            Assert.IsTrue(Math.Abs(folded - latent) > 0.1 * latent, $"the folded ±1 weights would give {folded}, not {latent}");
            Assert.IsTrue(series.GiniEmbedding[i] is > 0 and < 1 && series.GiniNeuronLogit[i] is > 0 and < 1);
            Assert.IsTrue(double.IsFinite(series.RestrictedLoss[i]) && double.IsFinite(series.ExcludedLoss[i]));
        }
        Assert.AreEqual(1.0, reports[^1].Fraction);
        Assert.AreEqual(CheckpointSeries.ProgressStage, reports[^1].Stage);
    }

    [TestMethod]
    public void ARunWhoseConfigDisagreesWithItsCheckpointsOnPIsAClearError()
    {
        var copy = TempDir.NewPath("bitonnx-checkpoint-series-tests");
        Directory.CreateDirectory(Path.Combine(copy, "checkpoints"));
        var first = Directory.GetFiles(Path.Combine(BinaryRun.Value, "checkpoints")).Order().First();
        File.Copy(first, Path.Combine(copy, "checkpoints", Path.GetFileName(first)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(BinaryRun.Value, "config.json")))!;
        config["p"] = 7;
        File.WriteAllText(Path.Combine(copy, "config.json"), config.ToJsonString());

        var e = Assert.ThrowsException<AnalysisInputException>(() => CheckpointSeries.Measure(AnalysisRun.Load(copy), [1]));
        StringAssert.Contains(e.Message, "P mismatch");
        StringAssert.Contains(e.Message, "P = 11");
        StringAssert.Contains(e.Message, "p = 7");
        Directory.Delete(copy, recursive: true);
    }

    [TestMethod]
    public void ARunWithoutCheckpointsHasNoSeries()
    {
        var copy = TempDir.NewPath("bitonnx-checkpoint-series-tests");
        Directory.CreateDirectory(copy);
        File.Copy(Path.Combine(BinaryRun.Value, "config.json"), Path.Combine(copy, "config.json"));
        Assert.IsNull(CheckpointSeries.Measure(AnalysisRun.Load(copy), [1]));
        Directory.Delete(copy, recursive: true);
    }

    private sealed class SyncProgress(List<BitOnnx.Analysis.AnalysisProgress> sink) : IProgress<BitOnnx.Analysis.AnalysisProgress>
    {
        public void Report(BitOnnx.Analysis.AnalysisProgress value) => sink.Add(value);
    }
}
