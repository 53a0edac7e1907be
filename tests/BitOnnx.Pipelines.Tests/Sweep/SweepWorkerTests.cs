using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Sweep;
using BitOnnx.TestSupport;

namespace BitOnnx.Pipelines.Tests.Sweep;

/// <summary>One cell in this process: trained under its lock, then skipped; left alone while another holds the lock.</summary>
[TestClass]
public sealed class SweepWorkerTests
{
    private static SweepFolder Folder() => new(TempDir.NewPath("bitonnx-sweep-worker"),
        SweepPlan.Of(SweepSpec.Parse("""{"base": "--p 7 --d-model 8 --n-heads 2 --d-mlp 16 --epochs 20 --log-every 10 --threads 1", "seeds": [0, 1]}""", "spec.json")));

    [TestMethod]
    public void ACellTrainsOnceAndIsSkippedAfter()
    {
        var folder = Folder();
        var first = SweepWorker.Run(folder, 1);
        Assert.AreEqual(CellOutcome.Done, first.Outcome, first.Detail);
        Assert.AreEqual(new CellStatus(CellState.Done, 20, null), folder.ReadStatus(1));
        Assert.AreEqual("--p 7 --d-model 8 --n-heads 2 --d-mlp 16 --epochs 20 --log-every 10 --threads 1 --seed 1\n", File.ReadAllText(folder.ArgumentsFile(1)));
        var run = new RunFolder(folder.CellDirectory(1));
        Assert.AreEqual(1L, run.ReadSettings().Seed);
        var model = File.ReadAllBytes(run.ModelFile);

        var again = SweepWorker.Run(folder, 1);
        Assert.AreEqual(CellOutcome.AlreadyDone, again.Outcome);
        CollectionAssert.AreEqual(model, File.ReadAllBytes(run.ModelFile));
        Assert.IsNull(folder.ReadStatus(0), "only the cell asked for");
        Assert.AreEqual(folder.Plan.Spec.ToJson(), File.ReadAllText(folder.SpecFile));
    }

    [TestMethod]
    public void ACellWhoseLockIsHeldIsLeftAlone()
    {
        var folder = Folder();
        folder.Bind();
        using (var held = CellLock.TryTake(folder.LockFile(0)))
        {
            Assert.IsNotNull(held);
            Assert.IsNull(CellLock.TryTake(folder.LockFile(0)), "one holder at a time");
            var busy = SweepWorker.Run(folder, 0);
            Assert.AreEqual(CellOutcome.Busy, busy.Outcome);
            Assert.AreEqual("cell 0 is being run by another worker; left to it", busy.Detail);
            Assert.IsFalse(File.Exists(Path.Combine(folder.CellDirectory(0), "config.json")), "nothing written");
        }
        Assert.AreEqual(CellOutcome.Done, SweepWorker.Run(folder, 0).Outcome, "free once the holder lets go");
    }

    [TestMethod]
    public void AStatusFileTheSweepDidNotWriteIsNamed()
    {
        var folder = Folder();
        Directory.CreateDirectory(folder.CellDirectory(0));
        File.WriteAllText(folder.StatusFile(0), "{\"state\":\"maybe\"}");
        var e = Assert.ThrowsException<CellStatusException>(() => SweepWorker.Run(folder, 0));
        Assert.AreEqual($"{folder.StatusFile(0)} is not a cell status written by bitonnx sweep (state 'maybe'); delete it to run the cell again.", e.Message);
    }

    [TestMethod]
    public void AFolderOfAnotherSpecOrAnIndexOutOfRangeIsRefused()
    {
        var folder = Folder();
        Assert.AreEqual("Cell index 2 is out of range; the sweep has 2 cells, 0 to 1.",
            Assert.ThrowsException<UsageException>(() => SweepWorker.Run(folder, 2)).Message);
        folder.Bind();
        var other = new SweepFolder(folder.Path, SweepPlan.Of(SweepSpec.Parse("""{"base": "--p 11", "seeds": [0]}""", "other.json")));
        StringAssert.Contains(Assert.ThrowsException<UsageException>(() => SweepWorker.Run(other, 0)).Message, "holds a sweep of another spec");
    }
}
