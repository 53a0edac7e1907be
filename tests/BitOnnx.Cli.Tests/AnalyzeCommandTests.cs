using System.Text.Json;

namespace BitOnnx.Cli.Tests;

/// <summary><c>bitonnx analyze</c> end to end on tiny runs: train, export, analyse, as a user would.</summary>
[TestClass]
public sealed class AnalyzeCommandTests
{
    /// <summary>
    /// Settings under which a small li2024 ternary model learns P = 23 in a few hundred epochs (a few seconds): the
    /// analyses only make claims about a model that learned the task, so the fixture must have.
    /// </summary>
    private static readonly string[] Learns =
        ["--p", "23", "--d-model", "64", "--n-heads", "4", "--d-mlp", "128", "--lr", "0.01", "--train-fraction", "0.7",
         "--epochs", "1500", "--log-every", "50", "--stop-at-acc", "0.99"];

    /// <summary>A ternary run with checkpoints every 100 epochs until it learned, and its exports (probes all: float and int2-exact; none).</summary>
    private static readonly Lazy<(string Run, string Float, string Int2, string NoProbes)> Ternary = new(() =>
    {
        var folder = CliProcess.TempFolder();
        var run = Path.Combine(folder, "run");
        var train = CliProcess.Run(["train", .. Learns, "--quant", "ternary", "--checkpoint-every", "100", "--out", run]);
        Assert.AreEqual(0, train.ExitCode, train.Error);
        string Export(string file, params string[] options)
        {
            var path = Path.Combine(folder, file);
            var r = CliProcess.Run(["export", Path.Combine(run, "model.safetensors"), "-o", path, .. options]);
            Assert.AreEqual(0, r.ExitCode, r.Error);
            return path;
        }
        return (run, Export("ternary.onnx", "--probes", "all"), Export("ternary-int2.onnx", "--probes", "all", "--weights", "int2-exact"), Export("bare.onnx"));
    });

    [TestMethod]
    public void WritesSummaryPageAndCsvsForModelsSideBySide()
    {
        var (run, model, int2, _) = Ternary.Value;
        var report = Path.Combine(CliProcess.TempFolder(), "report");
        var r = CliProcess.Run("analyze", model, "--run", run, "--compare", int2, "-o", report);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Out.Replace("\n", ""), Path.Combine(report, "index.html"));

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json")));
        var models = summary.RootElement.GetProperty("models").EnumerateArray().ToArray();
        CollectionAssert.AreEqual(new[] { "ternary.onnx", "ternary-int2.onnx" }, models.Select(m => m.GetProperty("name").GetString()).ToArray(),
            "named by file name, in order");
        foreach (var m in models)
        {
            Assert.AreEqual(23, m.GetProperty("p").GetInt32());
            Assert.AreEqual("learned", m.GetProperty("learning").GetProperty("status").GetString());
            var cp = m.GetProperty("clock_pizza");
            StringAssert.Contains(cp.GetProperty("gradient_method").GetString(), "graph surgery");
            Assert.IsTrue(cp.GetProperty("gradient_step").GetDouble() > 0);
            Assert.AreEqual(100, cp.GetProperty("gradient_symmetricity_samples").GetInt32());
        }
        var progress = models[0].GetProperty("progress_measures");
        var kept = Directory.GetFiles(Path.Combine(run, "checkpoints")).Length;
        Assert.IsTrue(kept >= 2, $"{kept} checkpoints");
        Assert.AreEqual(kept, progress.GetProperty("checkpoints").GetInt32());
        Assert.AreEqual(kept * 100, progress.GetProperty("final_epoch").GetInt32());
        Assert.AreEqual(JsonValueKind.Null, models[1].GetProperty("progress_measures").ValueKind, "no --run for the second model");
        // The two files hold the same folded weights, so every number agrees to float rounding.
        Assert.AreEqual(models[0].GetProperty("clock_pizza").GetProperty("distance_irrelevance").GetDouble(),
            models[1].GetProperty("clock_pizza").GetProperty("distance_irrelevance").GetDouble(), 1e-4);
        Assert.AreEqual(models[0].GetProperty("fve").GetProperty("median").GetDouble(), models[1].GetProperty("fve").GetProperty("median").GetDouble(), 1e-4);

        var html = File.ReadAllText(Path.Combine(report, "index.html"));
        StringAssert.Contains(html, "ternary-int2.onnx");
        StringAssert.Contains(html, "graph surgery on");
        Assert.IsTrue(File.Exists(Path.Combine(report, "data", "ternary.onnx", "progress_measures.csv")));
    }

    [TestMethod]
    public void NamesReplaceFileNamesAndTooManyNamesAreRefused()
    {
        var (_, model, int2, _) = Ternary.Value;
        var report = Path.Combine(CliProcess.TempFolder(), "report");
        var r = CliProcess.Run("analyze", model, "--compare", int2, "--name", "float", "int2", "--no-gradients", "-o", report);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json")));
        var models = summary.RootElement.GetProperty("models").EnumerateArray().ToArray();
        CollectionAssert.AreEqual(new[] { "float", "int2" }, models.Select(m => m.GetProperty("name").GetString()).ToArray());
        Assert.AreEqual(JsonValueKind.Null, models[0].GetProperty("clock_pizza").GetProperty("gradient_symmetricity").ValueKind);

        var bad = CliProcess.Run("analyze", model, "--name", "a", "b", "-o", report);
        Assert.AreNotEqual(0, bad.ExitCode);
        StringAssert.Contains(bad.Error, "--name was given 2 times for 1 model(s)");
    }

    [TestMethod]
    public void AModelWithoutProbesIsRefusedNamingTheMissingProbesAndTheExportFlag()
    {
        var (_, _, _, bare) = Ternary.Value;
        var report = Path.Combine(CliProcess.TempFolder(), "report");
        var r = CliProcess.Run("analyze", bare, "-o", report);
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.StartsWith(r.Error, "error: Model 'bare.onnx' lacks probe outputs");
        foreach (var probe in new[] { "blocks.0.attn.hook_pattern", "blocks.0.mlp.hook_post", "hook_embed" }) StringAssert.Contains(r.Error, probe);
        StringAssert.Contains(r.Error, "--probes all");
        Assert.IsFalse(r.Error.Contains("   at "), "no stack trace");
        Assert.IsFalse(Directory.Exists(report), "nothing written");
    }

    [TestMethod]
    public void ARunOfAnotherPIsAClearError()
    {
        var (_, model, _, _) = Ternary.Value;
        var other = CliProcess.TempFolder();
        var train = CliProcess.Run(["train", "--p", "7", "--d-model", "8", "--n-heads", "2", "--d-mlp", "16", "--epochs", "2", "--out", other]);
        Assert.AreEqual(0, train.ExitCode, train.Error);
        var r = CliProcess.Run("analyze", model, "--run", other, "-o", Path.Combine(CliProcess.TempFolder(), "report"));
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Error, "is not the run of model 'ternary.onnx'");
        StringAssert.Contains(r.Error, "the run is for P = 7, the model for P = 23");
        Assert.AreEqual(1, r.Error.Trim().Split('\n').Length, r.Error);
    }
}
