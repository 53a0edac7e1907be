using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.Engine.Tests.Training;

[TestClass]
public sealed class TrainerTests
{
    private static readonly TransformerConfig Small = SmallConfigs.Training;

    private static TrainingOptions Options(int epochs, int threads = 2) => new()
    {
        Epochs = epochs,
        Seed = 9,
        LogEvery = 5,
        CheckpointEvery = 10,
        Threads = threads,
    };

    private static string TempRun() => TempDir.NewPath();

    [TestMethod]
    public void SameSeedAndThreadsGiveIdenticalCheckpointBytes()
    {
        var a = new RunFolder(TempRun());
        var b = new RunFolder(TempRun());
        new Trainer(Small, Options(30), a, EngineBackend.Instance).Run();
        new Trainer(Small, Options(30), b, EngineBackend.Instance).Run();
        CollectionAssert.AreEqual(File.ReadAllBytes(a.ModelFile), File.ReadAllBytes(b.ModelFile));
        CollectionAssert.AreEqual(File.ReadAllBytes(a.MetricsFile), File.ReadAllBytes(b.MetricsFile));
    }

    [TestMethod]
    public void ThreadCountDoesNotChangeTheWeights()
    {
        var one = new Trainer(Small, Options(20, threads: 1), new RunFolder(TempRun()), EngineBackend.Instance).Run();
        var three = new Trainer(Small, Options(20, threads: 3), new RunFolder(TempRun()), EngineBackend.Instance).Run();
        CollectionAssert.AreEqual(one.Parameters.Data, three.Parameters.Data);
    }

    [TestMethod]
    public void DifferentSeedsGiveDifferentWeights()
    {
        var a = new Trainer(Small, Options(5), new RunFolder(TempRun()), EngineBackend.Instance).Run();
        var b = new Trainer(Small, Options(5) with { Seed = 10 }, new RunFolder(TempRun()), EngineBackend.Instance).Run();
        CollectionAssert.AreNotEqual(a.Parameters.Data, b.Parameters.Data);
    }

    [TestMethod]
    public void InterruptedAndResumedEndsIdenticalToUninterrupted()
    {
        var straight = new RunFolder(TempRun());
        new Trainer(Small, Options(40), straight, EngineBackend.Instance).Run();

        var interrupted = new RunFolder(TempRun());
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress<TrainingProgress>(p => { if (p.Epoch == 17) cancel.Cancel(); });
        var partial = new Trainer(Small, Options(40), interrupted, EngineBackend.Instance).Run(progress: progress, cancel: cancel.Token);
        Assert.IsTrue(partial.Interrupted);
        Assert.AreEqual(17, partial.Epoch);
        Assert.AreEqual(17, ModelCheckpoint.Load(interrupted.ModelFile).Facts.Epoch, "Ctrl-C leaves a valid checkpoint of the last epoch");

        new Trainer(Small, Options(40), interrupted, EngineBackend.Instance).Run(resume: true);
        CollectionAssert.AreEqual(File.ReadAllBytes(straight.ModelFile), File.ReadAllBytes(interrupted.ModelFile));
        CollectionAssert.AreEqual(File.ReadAllLines(straight.MetricsFile), File.ReadAllLines(interrupted.MetricsFile));
        CollectionAssert.AreEqual(
            straight.Checkpoints().Select(c => Path.GetFileName(c.File)).ToArray(),
            interrupted.Checkpoints().Select(c => Path.GetFileName(c.File)).ToArray());
    }

    [TestMethod]
    public void RunFolderHoldsSettingsSplitMetricsAndSeries()
    {
        var run = new RunFolder(TempRun());
        var result = new Trainer(Small, Options(20), run, EngineBackend.Instance).Run();
        Assert.AreEqual("epoch,train_loss,test_loss,test_acc", File.ReadLines(run.MetricsFile).First());
        CollectionAssert.AreEqual(new[] { 1, 5, 10, 15, 20 }, run.ReadMetrics().Select(r => r.Epoch).ToArray());
        CollectionAssert.AreEqual(new[] { 10, 20 }, run.Checkpoints().Select(c => c.Epoch).ToArray());
        var loaded = ModelCheckpoint.Load(run.ModelFile);
        Assert.AreEqual(Small, loaded.Config);
        Assert.AreEqual(20, loaded.Facts.Epoch);
        CollectionAssert.AreEqual(result.Data.TrainRows.ToArray(), loaded.Facts.TrainRows.ToArray());
        CollectionAssert.AreEqual(result.Parameters.Data, loaded.Parameters.Data);
        StringAssert.Contains(File.ReadAllText(run.ConfigFile), "\"quant\": \"ternary\"");
        Assert.AreEqual(0, Directory.GetFiles(run.Path, "*.tmp", SearchOption.AllDirectories).Length, "no temp files left behind");
    }

    [TestMethod]
    public void DivergenceStopsWithAClearMessage()
    {
        var options = Options(50) with { Optimizer = new AdamWSettings { LearningRate = 1e30 } };
        var run = new RunFolder(TempRun());
        var e = Assert.ThrowsException<TrainingDivergedException>(() => new Trainer(Small, options, run, EngineBackend.Instance).Run());
        StringAssert.Contains(e.Message, "diverged");
        Assert.IsTrue(File.Exists(run.ModelFile), "the last good state is kept");
        ModelCheckpoint.Load(run.ModelFile);
    }

    [TestMethod]
    public void CorruptCheckpointsGiveClearErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bitonnx-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        StringAssert.Contains(Assert.ThrowsException<CheckpointException>(() => ModelCheckpoint.Load(path)).Message, "not a safetensors file");
        var run = new RunFolder(TempRun());
        new Trainer(Small, Options(1), run, EngineBackend.Instance).Run();
        var bytes = File.ReadAllBytes(run.ModelFile);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        StringAssert.Contains(Assert.ThrowsException<CheckpointException>(() => ModelCheckpoint.Load(path)).Message, "truncated");
        var loaded = ModelCheckpoint.Load(run.ModelFile);
        var missing = loaded.Parameters.Entries.Where(e => e.Name != ParameterNames.Unembed)
            .Select(e => new NamedTensor(e.Name, e.Shape, loaded.Parameters.Slice(e).ToArray()));
        SafeTensorsFile.Write(path, missing, loaded.Metadata);
        StringAssert.Contains(Assert.ThrowsException<CheckpointException>(() => ModelCheckpoint.Load(path)).Message, "'unembed.W_U' is missing");
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; this one runs the handler inline so cancellation lands on the epoch named.</summary>
    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
