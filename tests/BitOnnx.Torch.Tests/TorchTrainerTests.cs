using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;
using BitOnnx.Torch.Training;

namespace BitOnnx.Torch.Tests;

/// <summary>Core's Trainer over the TorchSharp step: the same run folder, checkpoints and resume as the engine's.</summary>
[TestClass]
public sealed class TorchTrainerTests
{
    private static readonly TransformerConfig Small = SmallConfigs.Width32(TransformerConfig.Li2024Name, WeightQuantization.Ternary);

    private static TrainingOptions Options(int epochs) => new() { Epochs = epochs, LogEvery = 5, CheckpointEvery = 10, Threads = 1 };

    private static string TempRun() => TempDir.NewPath("bitonnx-torch-tests");

    [TestMethod]
    public void InterruptedAndResumedEndsIdenticalToUninterrupted()
    {
        var straight = new RunFolder(TempRun());
        new Trainer(Small, Options(30), straight, TorchSharpBackend.Instance).Run();

        var interrupted = new RunFolder(TempRun());
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress(p => { if (p.Epoch == 13) cancel.Cancel(); });
        var partial = new Trainer(Small, Options(30), interrupted, TorchSharpBackend.Instance).Run(progress: progress, cancel: cancel.Token);
        Assert.IsTrue(partial.Interrupted);
        Assert.AreEqual(13, ModelCheckpoint.Load(interrupted.ModelFile).Facts.Epoch);

        new Trainer(Small, Options(30), interrupted, TorchSharpBackend.Instance).Run(resume: true);
        CollectionAssert.AreEqual(File.ReadAllBytes(straight.ModelFile), File.ReadAllBytes(interrupted.ModelFile));
        CollectionAssert.AreEqual(File.ReadAllLines(straight.MetricsFile), File.ReadAllLines(interrupted.MetricsFile));
        CollectionAssert.AreEqual(new[] { 10, 20, 30 }, interrupted.Checkpoints().Select(c => c.Epoch).ToArray());
    }

    /// <summary>One format: a run started by one backend resumes in the other, moments and step included.</summary>
    [TestMethod]
    public void ARunStartedInTorchSharpResumesInTheEngine()
    {
        var run = new RunFolder(TempRun());
        new Trainer(Small, Options(10), run, TorchSharpBackend.Instance).Run();
        var resumed = new Trainer(Small, Options(20), run, EngineBackend.Instance).Run(resume: true);
        Assert.AreEqual(20, resumed.Epoch);

        var engineOnly = new Trainer(Small, Options(20), new RunFolder(TempRun()), EngineBackend.Instance).Run();
        var (a, b) = (run.ReadMetrics()[^1], engineOnly.Metrics[^1]);
        Assert.AreEqual(b.TrainLoss, a.TrainLoss, 1e-2 * b.TrainLoss, "the mixed run trains as the engine-only one");
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
