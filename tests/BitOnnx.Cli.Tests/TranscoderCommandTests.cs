using System.Text.Json;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// <c>bitonnx transcoder train</c> and <c>splice</c>: the files and metrics a run writes, and one error line for each
/// bad input with nothing written.
/// </summary>
[TestClass]
public sealed class TranscoderCommandTests
{
    private static string Shipped(string name, string file) => Path.Combine(TestSupport.RepositoryRoot.Path, "models", name, file);

    private static readonly string Binary = Shipped("li2024-binary", "li2024-binary.onnx");

    /// <summary>A transcoder of the shipped binary model, trained for a few epochs (enough for the files, not for quality).</summary>
    private static readonly Lazy<string> Trained = new(() =>
    {
        var folder = Path.Combine(CliProcess.TempFolder(), "tc");
        var r = CliProcess.Run("transcoder", "train", Binary, "--width", "64", "--k", "4", "--epochs", "2", "--threads", "2", "-o", folder);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        return folder;
    });

    /// <summary>A li2024 model of P = 13 trained for 40 epochs: memorised, not grokked; exported with every probe, writable.</summary>
    private static readonly Lazy<string> Ungrokked = new(() =>
    {
        var folder = CliProcess.TempFolder();
        var run = Path.Combine(folder, "run");
        var train = CliProcess.Run("train", "--p", "13", "--d-model", "16", "--n-heads", "2", "--d-mlp", "24", "--epochs", "40", "--log-every", "40", "--out", run);
        Assert.AreEqual(0, train.ExitCode, train.Error);
        var path = Path.Combine(folder, "ungrokked.onnx");
        var export = CliProcess.Run("export", Path.Combine(run, "model.safetensors"), "-o", path, "--probes", "all", "--writable", "all");
        Assert.AreEqual(0, export.ExitCode, export.Error);
        return path;
    });

    [TestMethod]
    public void TrainWritesTheTranscoderAndTheMetricsSaeLensNames()
    {
        var folder = Trained.Value;
        Assert.IsTrue(File.Exists(Path.Combine(folder, "transcoder.safetensors")));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")));
        var root = json.RootElement;
        foreach (var key in new[] { "fvu", "l0", "dead_latents", "ce_loss_score", "kl", "accuracy_clean", "accuracy_spliced", "accuracy_zero_ablated", "feature_density" })
            Assert.IsTrue(root.TryGetProperty(key, out _), key);
        Assert.AreEqual(JsonValueKind.Number, root.GetProperty("explanation_ce_loss_score").ValueKind);
        Assert.AreEqual(JsonValueKind.Number, root.GetProperty("test").GetProperty("explanation_ce_loss_score").ValueKind);
        Assert.AreEqual(65, File.ReadAllLines(Path.Combine(folder, "latents.csv")).Length, "the header and one row per latent");
        Assert.AreEqual(12769, root.GetProperty("rows").GetInt32());
        Assert.AreEqual(12769 - 3830, root.GetProperty("test").GetProperty("rows").GetInt32());
        Assert.IsTrue(root.GetProperty("l0").GetDouble() <= 4);
        Assert.AreEqual(64, root.GetProperty("feature_density").GetArrayLength());
    }

    [TestMethod]
    [DataRow("k>width", "larger than the width")]
    [DataRow("k0", "keeps no latent")]
    [DataRow("width0", "is not positive")]
    [DataRow("noprobes", "hook_resid_mid")]
    [DataRow("ungrokked", "has not grokked")]
    [DataRow("outfile", "it is a file")]
    [DataRow("nomodel", "does not exist")]
    public void TrainRefusesABadInputInOneLine(string bad, string message)
    {
        var folder = CliProcess.TempFolder();
        Directory.CreateDirectory(folder);
        var output = Path.Combine(folder, "tc");
        if (bad == "outfile") File.WriteAllText(output, "");
        string[] args = bad switch
        {
            "k>width" => [Binary, "--width", "8", "--k", "9"],
            "k0" => [Binary, "--k", "0"],
            "width0" => [Binary, "--width", "0", "--k", "1"],
            "noprobes" => [Shipped("li2024-binary", "li2024-binary-int2.onnx")],
            "ungrokked" => [Ungrokked.Value, "--width", "16", "--k", "2"],
            "nomodel" => [Path.Combine(folder, "missing.onnx")],
            _ => [Binary, "--width", "16", "--k", "2", "--epochs", "1"],
        };
        var r = CliProcess.Run(["transcoder", "train", .. args, "-o", output]);
        AssertOneErrorLine(r, message);
        if (bad != "outfile") Assert.IsFalse(Directory.Exists(output), "nothing written");
    }

    [TestMethod]
    public void SpliceRefusesATranscoderOfAnotherModel()
    {
        var output = Path.Combine(CliProcess.TempFolder(), "spliced.onnx");
        var r = CliProcess.Run("transcoder", "splice", Shipped("li2024-ternary", "li2024-ternary.onnx"), Trained.Value, "-o", output);
        AssertOneErrorLine(r, "was trained on");
        Assert.IsFalse(File.Exists(output), "nothing written");
    }

    [TestMethod]
    public void ASplicedModelRunsUnderPredict()
    {
        var output = Path.Combine(CliProcess.TempFolder(), "spliced.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var r = CliProcess.Run("transcoder", "splice", Binary, Trained.Value, "-o", output);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        var predict = CliProcess.Run("predict", output, "3", "5");
        Assert.AreEqual(0, predict.ExitCode, predict.Out + predict.Error);
        StringAssert.Contains(predict.Out, "(3 + 5) mod 113 = ", "a prediction, right or not: two epochs of training make a poor transcoder");
    }

    [TestMethod]
    public void ASplicedSimulatorRunsUnderPredict()
    {
        var output = Path.Combine(CliProcess.TempFolder(), "simulated.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var r = CliProcess.Run("transcoder", "splice", Binary, Trained.Value, "--from-explanations", "-o", output);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        var predict = CliProcess.Run("predict", output, "3", "5");
        Assert.AreEqual(0, predict.ExitCode, predict.Out + predict.Error);
        StringAssert.Contains(predict.Out, "(3 + 5) mod 113 = ");
    }

    [TestMethod]
    public void SpliceFromExplanationsRefusesATranscoderWithoutThemInOneLine()
    {
        var folder = CliProcess.TempFolder();
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(Trained.Value, "transcoder.safetensors"), Path.Combine(folder, "transcoder.safetensors"));
        var output = Path.Combine(CliProcess.TempFolder(), "simulated.onnx");
        var r = CliProcess.Run("transcoder", "splice", Binary, folder, "--from-explanations", "-o", output);
        AssertOneErrorLine(r, "latents.csv");
        Assert.IsFalse(File.Exists(output), "nothing written");
    }

    private static void AssertOneErrorLine(CliProcess.Result r, string message)
    {
        Assert.AreEqual(1, r.ExitCode, r.Out + r.Error);
        var errors = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(1, errors.Length, r.Error);
        StringAssert.StartsWith(errors[0], "error: ");
        StringAssert.Contains(errors[0], message);
    }
}
