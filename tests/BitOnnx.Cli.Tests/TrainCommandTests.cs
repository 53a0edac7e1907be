using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Training;
using BitOnnx.TestSupport;

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
    [DataRow("--p", "1", "--p '1' is out of range; P is the modulus, a whole number from 2 to 46000.")]
    [DataRow("--n-heads", "3", "n_heads (3) must divide d_model (8)")]
    [DataRow("--epochs", "0", "--epochs '0' is out of range; the number of epochs is a whole number, 1 or more.")]
    [DataRow("--n-layers", "0", "--n-layers '0' is out of range")]
    [DataRow("--quant-scope", "all", "quant_scope all quantizes the embedding and unembedding, so it needs binary or ternary weights")]
    [DataRow("--bimt", "0", "--bimt '0' is out of range; BIMT's λ is a positive number, such as 0.1.")]
    [DataRow("--bimt", "-1", "--bimt '-1' is out of range; BIMT's λ is a positive number, such as 0.1.")]
    [DataRow("--bimt", "abc", "--bimt 'abc' is not a number; BIMT's λ is a positive number, such as 0.1.")]
    [DataRow("--bimt", "NaN", "--bimt 'NaN' is not a number; BIMT's λ is a positive number, such as 0.1.")]
    public void InvalidSettingsFailWithOneClearLine(string option, string value, string message)
    {
        var run = CliProcess.TempFolder();
        string[] args = ["train", .. Tiny, "--out", run];
        var i = Array.IndexOf(args, option);
        if (i >= 0) args[i + 1] = value; else args = [.. args, option, value];
        var r = CliProcess.Run(args);
        Assert.AreEqual(2, r.ExitCode, "a usage error");
        StringAssert.Contains(r.Error, message);
        Assert.AreEqual(1, r.Error.Trim().Split('\n').Length, $"one line, no stack trace: {r.Error}");
        Assert.IsFalse(Directory.Exists(run) && Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories).Any(), "no partial files");
    }

    /// <summary>
    /// The bad values of the library's table (one per option, at least), each through the real command line: one
    /// `error:` line naming the option, the value and what is allowed, exit code 2, nothing written.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(BadValueOfEachOption))]
    public void EveryBadValueOfEveryOptionIsOneErrorLine(string option, string value, string allowed)
    {
        var run = CliProcess.TempFolder();
        string[] args = ["train", .. Tiny, "--out", run];
        var i = Array.IndexOf(args, option);
        if (i >= 0) args[i + 1] = value; else args = [.. args, option, value];
        var r = CliProcess.Run(args);
        Assert.AreEqual(2, r.ExitCode, r.Error);
        var lines = r.Error.Trim().Split('\n');
        Assert.AreEqual(1, lines.Length, r.Error);
        StringAssert.StartsWith(lines[0], "error: ");
        StringAssert.Contains(lines[0], $"'{value}'");
        StringAssert.Contains(lines[0], option == "--resume" || option == "--force" ? "see `bitonnx train --help`" : allowed);
        if (option is not ("--resume" or "--force")) StringAssert.Contains(lines[0], option);
        Assert.AreEqual("", r.Out, "nothing but the error");
        Assert.IsFalse(Directory.Exists(run), "nothing written");
    }

    /// <summary>Each option of the table with a bad value for it: a flag's "value" is a stray word after it.</summary>
    public static IEnumerable<object[]> BadValueOfEachOption()
    {
        var bad = TrainOptionBadValues.All;
        CollectionAssert.AreEquivalent(TrainArguments.Options.Select(o => o.Name).ToList(), bad.Keys.ToList(), "a bad value for every option");
        return TrainArguments.Options.Select(o => new object[] { o.Name, bad[o.Name], o.Allowed });
    }

    [TestMethod]
    public void UnwritableOutputFolderFailsBeforeTraining()
    {
        var file = Path.GetTempFileName();
        var r = CliProcess.Run(["train", .. Tiny, "--out", Path.Combine(file, "run")]);
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Error, "Cannot write the run folder");
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
        Assert.AreEqual(2, r.ExitCode);
        StringAssert.Contains(r.Error, $"--stop-at-acc '{value}' is out of range; the accuracy to stop at is a fraction above 0 and at most 1");
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

    /// <summary>A BIMT run writes its λ, its swaps and its layout; a swap round every 200 epochs.</summary>
    [TestMethod]
    public void BimtIsRecordedInTheRunFolder()
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run(["train", .. Tiny, "--epochs", "400", "--bimt", "0.1", "--out", run]);
        Assert.AreEqual(0, r.ExitCode, r.Error);
        StringAssert.Contains(File.ReadAllText(Path.Combine(run, "config.json")), "\"bimt_lambda\": 0.1");
        var swaps = new RunFolder(run).ReadSwaps();
        Assert.IsTrue(swaps.Count > 0 && swaps.All(s => s.Epoch is 200 or 400), string.Join("; ", swaps));
        StringAssert.Contains(r.Out, "bimt-swaps.csv");
    }

    /// <summary>TorchSharp does not implement BIMT: the library refuses (one line), nothing is written.</summary>
    [TestMethod]
    public void BimtOnTorchSharpFailsWithOneClearLine()
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run(["train", .. Tiny, "--epochs", "3", "--bimt", "0.1", "--backend", "torchsharp", "--out", run]);
        Assert.AreNotEqual(0, r.ExitCode);
        Assert.AreEqual("error: The torchsharp backend does not implement --bimt (brain-inspired modular training); train with --backend engine, or without --bimt.", r.Error.Trim());
        Assert.IsFalse(Directory.Exists(run), "nothing written");
    }

    [TestMethod]
    [DataRow("0.98", "--grokfast '0.98' is not two numbers ALPHA,LAMBDA")]
    [DataRow("1.2,2", "--grokfast '1.2,2' is out of range; Grokfast's filter is ALPHA,LAMBDA with ALPHA at least 0 and below 1")]
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
        foreach (var option in TrainArguments.Options)
        {
            StringAssert.Contains(r.Out, option.Name);
            StringAssert.Contains(r.Out, option.Help[..Math.Min(30, option.Help.Length)], "help text (wrapped lines keep the start whole)");
        }
        StringAssert.Contains(r.Out, "--warmup <N>");
        StringAssert.Contains(r.Out, "[default: 10 for nanda2023, 0 for li2024]");
    }

    /// <summary>`train --out` on a finished run, without --resume or --force, is refused and changes no byte of it.</summary>
    [TestMethod]
    public void TrainOnAFinishedRunIsRefusedAndLeavesItsFilesByteIdentical()
    {
        var run = CliProcess.TempFolder();
        string[] args = ["train", .. Tiny, "--epochs", "20", "--log-every", "10", "--checkpoint-every", "10", "--out", run];
        Assert.AreEqual(0, CliProcess.Run(args).ExitCode);
        var before = Hashes(run);
        Assert.IsTrue(before.Count >= 8, "config, split, metrics, model, resume, stop and two checkpoints");

        var again = CliProcess.Run([.. args[..^2], "--seed", "3", "--out", run]);
        Assert.AreEqual(1, again.ExitCode);
        Assert.AreEqual($"error: '{Path.GetFullPath(run)}' already holds a run (epoch 20); continue it with --resume, replace it with --force, or choose another output folder.",
            again.Error.Trim());
        CollectionAssert.AreEquivalent(before.ToList(), Hashes(run).ToList(), "every file byte-identical, none added or removed");
    }

    /// <summary>--force deletes the old run's files first and says so; the new run is what a fresh folder would hold.</summary>
    [TestMethod]
    public void ForceReplacesTheRunAndSaysSo()
    {
        var run = CliProcess.TempFolder();
        Assert.AreEqual(0, CliProcess.Run(["train", .. Tiny, "--epochs", "30", "--log-every", "10", "--checkpoint-every", "10", "--out", run]).ExitCode);
        var fresh = CliProcess.TempFolder();
        string[] replacement = ["train", .. Tiny, "--epochs", "20", "--log-every", "10", "--seed", "4"];
        Assert.AreEqual(0, CliProcess.Run([.. replacement, "--out", fresh]).ExitCode);

        var forced = CliProcess.Run([.. replacement, "--out", run, "--force"]);
        Assert.AreEqual(0, forced.ExitCode, forced.Error);
        Assert.AreEqual($"Replaced the run at {Path.GetFullPath(run)} (epoch 30).", forced.Out.Split('\n')[0].Trim());
        Assert.IsFalse(Directory.Exists(Path.Combine(run, "checkpoints")) && Directory.EnumerateFiles(Path.Combine(run, "checkpoints")).Any(),
            "the old run's checkpoints went with it");
        CollectionAssert.AreEquivalent(Hashes(fresh).ToList(), Hashes(run).ToList(), "the folder holds exactly the new run");
    }

    /// <summary>A folder that exists but holds no run (no config.json) is written into without --force.</summary>
    [TestMethod]
    public void AFolderWithoutARunIsWrittenInto()
    {
        var run = CliProcess.TempFolder();
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");
        Assert.AreEqual(0, CliProcess.Run(["train", .. Tiny, "--epochs", "3", "--out", run]).ExitCode);
        Assert.AreEqual("mine", File.ReadAllText(Path.Combine(run, "notes.txt")));
        Assert.IsTrue(File.Exists(Path.Combine(run, "model.safetensors")));
    }

    /// <summary>Each number on the progress line stands beside the epoch it belongs to.</summary>
    [TestMethod]
    public void TheProgressLineShowsTheEpochItsNumbersBelongTo()
    {
        var logged = new MetricsRow(10, 3.59, 4.25, 0.125);
        Assert.AreEqual("m  epoch 19  train 3.2  (epoch 10: test 4.25  acc 12.5 %)", ConsoleObserver.ProgressLine("m", new TrainingProgress(19, 100, 3.2, logged)));
        Assert.AreEqual("m  epoch 10  train 3.59  test 4.25  acc 12.5 %", ConsoleObserver.ProgressLine("m", new TrainingProgress(10, 100, 3.59, logged)));
        Assert.AreEqual("m  epoch 1  train 4.71", ConsoleObserver.ProgressLine("m", new TrainingProgress(1, 100, 4.71, null)));
    }

    /// <summary>Each file under the folder, by relative path, with its SHA-256.</summary>
    private static Dictionary<string, string> Hashes(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
