using BitOnnx.Analysis.Runs;
using BitOnnx.Core.Training;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class RunFolderTests
{
    [TestMethod]
    public void ReadsConfigMetricsSplitAndCheckpoints()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "config.json"),
            """{"p": 5, "preset": "nanda2023", "quant": "ternary", "seed": 42, "train_fraction": 0.4, "d_model": 16, "n_heads": 2, "d_mlp": 32, "lr": 0.001}""");
        File.WriteAllText(Path.Combine(dir.Path, "metrics.csv"), "epoch,train_loss,test_loss,test_acc\n0,4.7,4.8,0.01\n10,1.5e-2,3.25,0.5\n");
        File.WriteAllText(Path.Combine(dir.Path, "split.json"), """{"seed": 42, "train_fraction": 0.4, "train": [0, 7, 24, 3]}""");
        Directory.CreateDirectory(Path.Combine(dir.Path, "checkpoints"));
        foreach (var name in new[] { "epoch-000200.safetensors", "epoch-000010.safetensors", "notes.txt" })
            File.WriteAllText(Path.Combine(dir.Path, "checkpoints", name), "");

        var run = TrainingRun.Load(dir.Path);
        Assert.AreEqual(5, run.Config.P);
        Assert.AreEqual("nanda2023", run.Config.Preset);
        Assert.AreEqual("ternary", run.Config.Quant);
        Assert.AreEqual(42, run.Config.Seed);
        Assert.AreEqual(0.4, run.Config.TrainFraction);
        Assert.AreEqual(32, run.Config.DMlp);
        CollectionAssert.AreEqual(new[] { 0, 10 }, run.Metrics!.Epochs);
        CollectionAssert.AreEqual(new[] { 4.7, 1.5e-2 }, run.Metrics.TrainLoss);
        CollectionAssert.AreEqual(new[] { 0.01, 0.5 }, run.Metrics.TestAccuracy);
        CollectionAssert.AreEqual(new[] { 0, 7, 24, 3 }, run.Split!.Train);
        CollectionAssert.AreEqual(new[] { 10, 200 }, run.Checkpoints.Select(c => c.Epoch).ToArray());
    }

    [TestMethod]
    public void MissingConfigSaysWhatARunFolderIs()
    {
        using var dir = new TempDir();
        var e = Assert.ThrowsException<BitOnnx.Core.Training.RunFolderException>(() => TrainingRun.Load(dir.Path));
        StringAssert.Contains(e.Message, "config.json");
        StringAssert.Contains(e.Message, "bitonnx train");
    }

    [TestMethod]
    public void SplitIndexOutsideTheGridIsRejected()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "config.json"),
            """{"p": 5, "preset": "li2024", "quant": "binary", "seed": 1, "train_fraction": 0.3, "d_model": 8, "n_heads": 1, "d_mlp": 8}""");
        File.WriteAllText(Path.Combine(dir.Path, "split.json"), """{"seed": 1, "train_fraction": 0.3, "train": [3, 25]}""");
        var e = Assert.ThrowsException<BitOnnx.Core.Training.RunFolderException>(() => TrainingRun.Load(dir.Path));
        StringAssert.Contains(e.Message, "train[1]");
    }

    [TestMethod]
    public void MetricsWithAWrongHeaderNameTheExpectedOne()
    {
        var e = Assert.ThrowsException<RunFolderException>(() => MetricsRow.ParseFile("epoch,loss\n1,2\n", "m.csv"));
        StringAssert.Contains(e.Message, "epoch,train_loss,test_loss,test_acc");
    }
}
