namespace BitOnnx.Cli.Tests;

[TestClass]
public sealed class TrainCommandTests
{
    private static readonly string[] Tiny = ["--p", "7", "--d-model", "8", "--n-heads", "2", "--d-mlp", "16"];

    [TestMethod]
    public void TrainsAndWritesTheRunFolder()
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run(["train", .. Tiny, "--quant", "binary", "--epochs", "20", "--log-every", "10", "--out", run]);
        Assert.AreEqual(0, r.ExitCode, r.Error);
        foreach (var file in new[] { "model.safetensors", "metrics.csv", "config.json", "split.json" })
            Assert.IsTrue(File.Exists(Path.Combine(run, file)), file);
        CollectionAssert.AreEqual(new[] { "epoch,train_loss,test_loss,test_acc", "1", "10", "20" },
            File.ReadAllLines(Path.Combine(run, "metrics.csv")).Select((l, i) => i == 0 ? l : l.Split(',')[0]).ToArray());
    }

    [TestMethod]
    [DataRow("--p", "1", "p must be at least 2")]
    [DataRow("--n-heads", "3", "n_heads (3) must divide d_model (8)")]
    [DataRow("--epochs", "0", "epochs must be positive")]
    [DataRow("--n-layers", "0", "n_layers must be at least 1")]
    [DataRow("--quant-scope", "all", "quant_scope all quantizes the embedding and unembedding, so it needs binary or ternary weights")]
    public void InvalidSettingsFailWithOneClearLine(string option, string value, string message)
    {
        var run = CliProcess.TempFolder();
        string[] args = ["train", .. Tiny, "--out", run];
        var i = Array.IndexOf(args, option);
        if (i >= 0) args[i + 1] = value; else args = [.. args, option, value];
        var r = CliProcess.Run(args);
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Error, message);
        Assert.AreEqual(1, r.Error.Trim().Split('\n').Length, $"one line, no stack trace: {r.Error}");
        Assert.IsFalse(Directory.Exists(run) && Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories).Any(), "no partial files");
    }

    [TestMethod]
    [DataRow("--preset", "gpt2")]
    [DataRow("--quant", "quaternary")]
    [DataRow("--quant-scope", "everything")]
    public void UnknownChoicesListTheValidOnes(string option, string value)
    {
        var r = CliProcess.Run("train", option, value, "--out", CliProcess.TempFolder());
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Error + r.Out, value);
        Assert.IsFalse((r.Error + r.Out).Contains("   at ", StringComparison.Ordinal), "no stack trace");
    }

    [TestMethod]
    public void UnwritableOutputFolderFailsBeforeTraining()
    {
        var file = Path.GetTempFileName();
        var r = CliProcess.Run(["train", .. Tiny, "--out", Path.Combine(file, "run")]);
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Error, "Cannot write to output folder");
    }

    [TestMethod]
    public void DivergenceFailsWithOneClearLine()
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run(["train", .. Tiny, "--lr", "1e30", "--epochs", "50", "--out", run]);
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Error, "diverged");
        Assert.AreEqual(0, Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories).Length);
    }

    [TestMethod]
    public void StopAtAccuracyStopsAtTheFirstLoggedEpochAndSaysWhy()
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run(["train", .. Tiny, "--epochs", "20", "--log-every", "10", "--stop-at-acc", "0.001", "--out", run]);
        Assert.AreEqual(0, r.ExitCode, r.Error);
        var logged = File.ReadAllLines(Path.Combine(run, "metrics.csv")).Skip(1).ToArray();
        Assert.AreEqual(1, logged.Length, "epoch 1 is logged and any accuracy above 0.1% stops there");
        Assert.IsTrue(double.Parse(logged[0].Split(',')[3], System.Globalization.CultureInfo.InvariantCulture) >= 0.001);
        StringAssert.Contains(File.ReadAllText(Path.Combine(run, "stop.json")), "\"stop_reason\":\"accuracy\"");
        StringAssert.Contains(r.Out, "Stopped early");
        StringAssert.Contains(r.Out, "at epoch 1");
    }

    [TestMethod]
    [DataRow("1.5")]
    [DataRow("0")]
    public void StopAtAccuracyOutsideZeroToOneFailsWithOneClearLine(string value)
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run(["train", .. Tiny, "--stop-at-acc", value, "--out", run]);
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Error, "stop-at-acc must be in (0, 1]");
        Assert.AreEqual(1, r.Error.Trim().Split('\n').Length, $"one line, no stack trace: {r.Error}");
    }

    [TestMethod]
    public void GrokfastIsRecordedInTheRunFolder()
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run(["train", .. Tiny, "--epochs", "3", "--grokfast", "0.98,2", "--out", run]);
        Assert.AreEqual(0, r.ExitCode, r.Error);
        var config = File.ReadAllText(Path.Combine(run, "config.json"));
        StringAssert.Contains(config, "\"grokfast_alpha\": 0.98");
        StringAssert.Contains(config, "\"grokfast_lambda\": 2");
    }

    [TestMethod]
    [DataRow("0.98", "--grokfast takes ALPHA,LAMBDA")]
    [DataRow("1.2,2", "grokfast alpha must be in [0, 1)")]
    public void BadGrokfastFailsWithOneClearLine(string value, string message)
    {
        var r = CliProcess.Run(["train", .. Tiny, "--grokfast", value, "--out", CliProcess.TempFolder()]);
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Error, message);
        Assert.AreEqual(1, r.Error.Trim().Split('\n').Length, $"one line, no stack trace: {r.Error}");
    }

    [TestMethod]
    public void HelpDescribesEveryOption()
    {
        var r = CliProcess.Run("train", "--help");
        Assert.AreEqual(0, r.ExitCode);
        foreach (var option in new[] { "--preset", "--quant", "--binary-scale", "--epochs", "--seed", "--log-every", "--checkpoint-every", "--resume", "--threads", "--stop-at-acc", "--grokfast" })
            StringAssert.Contains(r.Out, option);
    }
}
