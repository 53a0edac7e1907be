using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.Engine.Tests.Training;

/// <summary>
/// --stop-at-acc against an uninterrupted run of the same settings: the threshold is taken from that run's own log, so
/// the epoch where the stopped run must end is known beforehand.
/// </summary>
[TestClass]
public sealed class StopAtAccuracyTests
{
    private static readonly TransformerConfig Small = SmallConfigs.Training with { Quantization = WeightQuantization.Binary };

    private static TrainingOptions Options(double? stopAt) => new()
    {
        Epochs = 60,
        Seed = 3,
        LogEvery = 5,
        CheckpointEvery = 5,
        Threads = 2,
        StopAtAccuracy = stopAt,
        Optimizer = new AdamWSettings { LearningRate = 1e-2 },
    };

    private static RunFolder TempRun() => new(TempDir.NewPath());

    /// <summary>A logged row, not the first nor the last, whose accuracy beats every earlier one: the first to reach it.</summary>
    private static MetricsRow NewBest(IReadOnlyList<MetricsRow> metrics)
    {
        var best = metrics.Skip(1).SkipLast(1).Where((row, i) => metrics.Take(i + 1).All(m => m.TestAccuracy < row.TestAccuracy)).ToList();
        Assert.IsTrue(best.Count > 0, "the uninterrupted run's accuracy rises at some logged epoch");
        return best[^1];
    }

    [TestMethod]
    public void StopsAtTheFirstLoggedEpochThatReachesTheAccuracy()
    {
        var straight = TempRun();
        var full = new Trainer(Small, Options(null), straight, EngineBackend.Instance).Run();
        Assert.AreEqual(StopReason.EpochsDone, full.Stop.Reason);
        var target = NewBest(full.Metrics);

        var run = TempRun();
        var stopped = new Trainer(Small, Options(target.TestAccuracy), run, EngineBackend.Instance).Run();
        Assert.AreEqual(target.Epoch, stopped.Epoch);
        Assert.IsFalse(stopped.Interrupted);
        CollectionAssert.AreEqual(full.Metrics.TakeWhile(m => m.Epoch <= target.Epoch).ToArray(), run.ReadMetrics().ToArray());
        Assert.AreEqual(target.Epoch, run.Checkpoints()[^1].Epoch, "no epoch after the stop was trained");
        CollectionAssert.AreEqual(File.ReadAllBytes(straight.CheckpointFile(target.Epoch)), File.ReadAllBytes(run.ModelFile),
            "model.safetensors holds the weights of the stopping epoch");
        var stop = run.ReadStop()!;
        Assert.AreEqual(new StopRecord(StopReason.AccuracyReached, target.Epoch, target.TestAccuracy, target.TestAccuracy), stop);
        Assert.AreEqual(StopReason.EpochsDone, straight.ReadStop()!.Reason);
        StringAssert.Contains(File.ReadAllText(run.ConfigFile), "\"stop_at_acc\": " + target.TestAccuracy.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Resuming with the same threshold trains nothing: the state it resumes from already reached it. Resuming with a
    /// higher threshold (or none) continues, and ends bit-identical to the run that never stopped.
    /// </summary>
    [TestMethod]
    public void ResumeAfterTheStopKeepsItOrContinuesBitIdentically()
    {
        var straight = TempRun();
        var full = new Trainer(Small, Options(null), straight, EngineBackend.Instance).Run();
        var target = NewBest(full.Metrics);

        var run = TempRun();
        new Trainer(Small, Options(target.TestAccuracy), run, EngineBackend.Instance).Run();
        var model = File.ReadAllBytes(run.ModelFile);
        var again = new Trainer(Small, Options(target.TestAccuracy), run, EngineBackend.Instance).Run(resume: true);
        Assert.AreEqual(target.Epoch, again.Epoch);
        Assert.AreEqual(StopReason.AccuracyReached, again.Stop.Reason);
        CollectionAssert.AreEqual(model, File.ReadAllBytes(run.ModelFile));
        Assert.AreEqual(target.Epoch, run.ReadMetrics()[^1].Epoch);

        var continued = new Trainer(Small, Options(null), run, EngineBackend.Instance).Run(resume: true);
        Assert.AreEqual(60, continued.Epoch);
        Assert.AreEqual(StopReason.EpochsDone, run.ReadStop()!.Reason);
        CollectionAssert.AreEqual(File.ReadAllBytes(straight.ModelFile), File.ReadAllBytes(run.ModelFile));
        CollectionAssert.AreEqual(File.ReadAllBytes(straight.ResumeFile), File.ReadAllBytes(run.ResumeFile));
        CollectionAssert.AreEqual(File.ReadAllLines(straight.MetricsFile), File.ReadAllLines(run.MetricsFile));
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(1.5)]
    [DataRow(double.NaN)]
    public void ThresholdOutsideZeroToOneIsRejected(double value)
    {
        var e = Assert.ThrowsException<ConfigException>(() => Options(value).Validated());
        StringAssert.Contains(e.Message, "stop-at-acc must be in (0, 1]");
    }
}
