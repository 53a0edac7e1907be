using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

namespace BitOnnx.Engine.Tests.Training;

/// <summary>BIMT through the trainer: what it does to the cost, what it writes, and resume (docs/bimt.md).</summary>
[TestClass]
public sealed class BimtTrainingTests
{
    private static readonly TransformerConfig Small = BimtCostTests.Small;

    private static TrainingOptions Options(int epochs, double? lambda, int threads = 2) => new()
    {
        Epochs = epochs,
        Seed = 4,
        LogEvery = 50,
        Threads = threads,
        Bimt = lambda is { } l ? new BimtSettings(l) : null,
    };

    private static RunFolder TempRun() => new(Path.Combine(Path.GetTempPath(), "bitonnx-tests", Guid.NewGuid().ToString("N")));

    private static double Cost(ParameterSet laidOut) =>
        new LocalityCost(Small).Of(laidOut, NeuronLayout.Identity(Small));

    /// <summary>
    /// The run's files are laid out by place, so the cost of model.safetensors with no unit moved is the run's cost.
    /// With BIMT it ends far below its value at initialisation and below a run without BIMT (whose weight decay shrinks
    /// the weights too); every swap lowered it; replaying the swaps gives the layout the resume state records.
    /// </summary>
    [TestMethod]
    public void LocalityCostFallsAndEverySwapIsRecorded()
    {
        var (on, off) = (TempRun(), TempRun());
        new Trainer(Small, Options(600, 0.05), on, EngineBackend.Instance).Run();
        new Trainer(Small, Options(600, null), off, EngineBackend.Instance).Run();
        var start = Cost(ParameterInitializer.Initialize(Small, 4));
        var (with, without) = (Cost(ModelCheckpoint.Load(on.ModelFile).Parameters), Cost(ModelCheckpoint.Load(off.ModelFile).Parameters));
        Console.WriteLine($"locality cost: init {start:G6}, 600 epochs without BIMT {without:G6}, with BIMT λ = 0.05 {with:G6}");
        Assert.IsTrue(with < 0.5 * start && with < 0.5 * without, $"init {start}, without {without}, with {with}");

        var swaps = on.ReadSwaps();
        Assert.IsTrue(swaps.Count > 0);
        CollectionAssert.AreEquivalent(new[] { 200, 400, 600 }, swaps.Select(s => s.Epoch).Distinct().ToArray());
        var layout = NeuronLayout.Identity(Small);
        foreach (var s in swaps)
        {
            Assert.IsTrue(s.CostAfter < s.CostBefore, s.ToString());
            layout.Swap(s.Block, s.Kind, s.From, s.To);
        }
        Assert.AreEqual(swaps[^1].CostAfter, Cost(ModelCheckpoint.Load(on.ModelFile).Parameters), 1e-12 * with, "the last swap's cost is the file's (no step after it)");
        var resume = ModelCheckpoint.Load(on.ResumeFile);
        Assert.AreEqual(layout, NeuronLayout.Parse(resume.Metadata["bimt_layout"], Small, on.ResumeFile));
        Assert.IsFalse(layout.IsIdentity);
        Assert.AreEqual("0.05", resume.Metadata["bimt"]);
        StringAssert.Contains(File.ReadAllText(on.ConfigFile), "\"bimt_lambda\": 0.05");
        Assert.IsFalse(File.Exists(off.SwapsFile));
        CollectionAssert.AreEqual(ModelCheckpoint.Load(on.ModelFile).Parameters.Data, resume.Parameters.Data, "model and resume state laid out alike");
    }

    /// <summary>Interrupted between swap rounds, then resumed across two more and the schedule's return to λ: the same bytes.</summary>
    [TestMethod]
    public void InterruptedAndResumedEndsIdenticalToUninterrupted()
    {
        var straight = TempRun();
        new Trainer(Small, Options(800, 0.3), straight, EngineBackend.Instance).Run();

        var interrupted = TempRun();
        using var cancel = new CancellationTokenSource();
        var progress = new InlineProgress(p => { if (p.Epoch == 333) cancel.Cancel(); });
        Assert.IsTrue(new Trainer(Small, Options(800, 0.3), interrupted, EngineBackend.Instance).Run(progress: progress, cancel: cancel.Token).Interrupted);
        Assert.IsTrue(interrupted.ReadSwaps().All(s => s.Epoch <= 200) && interrupted.ReadSwaps().Count > 0);
        new Trainer(Small, Options(800, 0.3, threads: 1), interrupted, EngineBackend.Instance).Run(resume: true);
        CollectionAssert.AreEqual(File.ReadAllBytes(straight.ResumeFile), File.ReadAllBytes(interrupted.ResumeFile));
        CollectionAssert.AreEqual(File.ReadAllBytes(straight.ModelFile), File.ReadAllBytes(interrupted.ModelFile));
        CollectionAssert.AreEqual(File.ReadAllLines(straight.MetricsFile), File.ReadAllLines(interrupted.MetricsFile));
        CollectionAssert.AreEqual(File.ReadAllLines(straight.SwapsFile), File.ReadAllLines(interrupted.SwapsFile));
    }

    /// <summary>A resume from a state saved before later swaps (a crash after them) drops their rows and makes them again.</summary>
    [TestMethod]
    public void ResumeDropsSwapsMadeAfterTheSavedState()
    {
        var straight = TempRun();
        new Trainer(Small, Options(450, 0.3), straight, EngineBackend.Instance).Run();
        var crashed = TempRun();
        using var cancel = new CancellationTokenSource();
        var progress = new InlineProgress(p => { if (p.Epoch == 350) cancel.Cancel(); });
        new Trainer(Small, Options(450, 0.3), crashed, EngineBackend.Instance).Run(progress: progress, cancel: cancel.Token);
        var later = straight.ReadSwaps().Where(s => s.Epoch == 400).ToList();
        Assert.IsTrue(later.Count > 0);
        crashed.AppendSwaps(later.Select(s => s with { From = s.To, To = s.From }));
        new Trainer(Small, Options(450, 0.3), crashed, EngineBackend.Instance).Run(resume: true);
        CollectionAssert.AreEqual(File.ReadAllLines(straight.SwapsFile), File.ReadAllLines(crashed.SwapsFile));
        CollectionAssert.AreEqual(File.ReadAllBytes(straight.ModelFile), File.ReadAllBytes(crashed.ModelFile));
    }

    [TestMethod]
    public void ResumeWithOtherBimtIsRefused()
    {
        var run = TempRun();
        new Trainer(Small, Options(5, 0.1), run, EngineBackend.Instance).Run();
        var e = Assert.ThrowsException<ConfigException>(() => new Trainer(Small, Options(10, null), run, EngineBackend.Instance).Run(resume: true));
        StringAssert.Contains(e.Message, "--bimt 0.1");
        e = Assert.ThrowsException<ConfigException>(() => new Trainer(Small, Options(10, 0.2), run, EngineBackend.Instance).Run(resume: true));
        StringAssert.Contains(e.Message, "resume it with the same --bimt");
        var plain = TempRun();
        new Trainer(Small, Options(5, null), plain, EngineBackend.Instance).Run();
        e = Assert.ThrowsException<ConfigException>(() => new Trainer(Small, Options(10, 0.1), plain, EngineBackend.Instance).Run(resume: true));
        StringAssert.Contains(e.Message, "without --bimt");
    }

    /// <summary>The project's rule: same seed, same bytes, whatever the thread count; and BIMT changes the weights.</summary>
    [TestMethod]
    public void SameBytesForAnyThreadCount()
    {
        var (one, two, off) = (TempRun(), TempRun(), TempRun());
        new Trainer(Small, Options(220, 0.5, threads: 1), one, EngineBackend.Instance).Run();
        new Trainer(Small, Options(220, 0.5, threads: 2), two, EngineBackend.Instance).Run();
        new Trainer(Small, Options(220, null), off, EngineBackend.Instance).Run();
        CollectionAssert.AreEqual(File.ReadAllBytes(one.ResumeFile), File.ReadAllBytes(two.ResumeFile));
        CollectionAssert.AreEqual(File.ReadAllLines(one.SwapsFile), File.ReadAllLines(two.SwapsFile));
        CollectionAssert.AreNotEqual(ModelCheckpoint.Load(one.ModelFile).Parameters.Data, ModelCheckpoint.Load(off.ModelFile).Parameters.Data);
    }

    /// <summary>A backend that does not say it trains with BIMT is refused before a file is written (TorchSharp's case).</summary>
    [TestMethod]
    public void BackendWithoutBimtIsRefusedBeforeWritingAnything()
    {
        var run = TempRun();
        var e = Assert.ThrowsException<ConfigException>(() => new Trainer(Small, Options(5, 0.1), run, new PlainBackend()));
        Assert.AreEqual("The plain backend does not implement --bimt (brain-inspired modular training); train with --backend engine, or without --bimt.", e.Message);
        Assert.IsFalse(Directory.Exists(run.Path));
        new Trainer(Small, Options(5, null), run, new PlainBackend()).Run();
        Assert.IsTrue(File.Exists(run.ModelFile), "without --bimt it trains");
    }

    private sealed class PlainBackend : ITrainingBackend
    {
        public string Name => "plain";

        public ITrainingStep Create(TrainingSetup setup) => EngineBackend.Instance.Create(setup);
    }

    private sealed class InlineProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
