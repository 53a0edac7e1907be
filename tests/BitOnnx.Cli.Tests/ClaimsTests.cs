using System.Text.Json;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// The claims a user reads are true: a model that has not learned the task gets no algorithm verdict and no key
/// frequencies; a checkpoint with NaN weights is refused by export and verify, naming the tensor; a run that is not the
/// model's is refused by analyze before anything is written.
/// </summary>
[TestClass]
public sealed class ClaimsTests
{
    /// <summary>A li2024 binary P = 31 model after 20 epochs (the finding: 8.5% test accuracy, called "clock"), and its export.</summary>
    private static readonly Lazy<(string Run, string Onnx)> Ungrokked = new(() =>
    {
        var folder = CliProcess.TempFolder();
        var run = Path.Combine(folder, "run");
        var train = CliProcess.Run("train", "--p", "31", "--quant", "binary", "--epochs", "20", "--log-every", "10", "--out", run);
        Assert.AreEqual(0, train.ExitCode, train.Error);
        var onnx = Path.Combine(folder, "binary.onnx");
        var export = CliProcess.Run("export", Path.Combine(run, "model.safetensors"), "--probes", "all", "--weights", "int8", "-o", onnx);
        Assert.AreEqual(0, export.ExitCode, export.Error);
        return (run, onnx);
    });

    [TestMethod]
    public void AnUngrokkedModelGetsNoAlgorithmVerdictAndNoKeyFrequencies()
    {
        var (run, onnx) = Ungrokked.Value;
        var report = Path.Combine(CliProcess.TempFolder(), "report");
        var r = CliProcess.Run("analyze", onnx, "--run", run, "-o", report);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Out, "not-learned");

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json")));
        var model = summary.RootElement.GetProperty("models")[0];
        var learning = model.GetProperty("learning");
        Assert.AreEqual("not-learned", learning.GetProperty("status").GetString());
        Assert.IsTrue(learning.GetProperty("held_out").GetBoolean(), "measured on the run's test pairs");
        // The run's own log says how well it does on those pairs: the gate must agree with it.
        var logged = double.Parse(File.ReadAllLines(Path.Combine(run, "metrics.csv"))[^1].Split(',')[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.AreEqual(logged, learning.GetProperty("accuracy").GetDouble(), 1e-6);
        Assert.IsTrue(logged < 0.9, $"the fixture has not learned ({logged:P1})");
        Assert.AreEqual("not-learned", model.GetProperty("clock_pizza").GetProperty("verdict").GetString());
        Assert.AreEqual(JsonValueKind.Null, model.GetProperty("clock_pizza").GetProperty("distance_irrelevance").ValueKind);
        Assert.IsFalse(model.GetProperty("key_frequencies").GetProperty("claimed").GetBoolean());
        Assert.AreEqual(0, model.GetProperty("key_frequencies").GetProperty("embedding").GetArrayLength());
        Assert.AreEqual(0, model.GetProperty("key_frequencies").GetProperty("neurons").GetArrayLength());
        StringAssert.Contains(File.ReadAllText(Path.Combine(report, "index.html")), "has not learned the task");
    }

    [TestMethod]
    public void ACheckpointWithNaNWeightsIsRefusedByExportAndVerify()
    {
        var (run, onnx) = Ungrokked.Value;
        var (tensors, metadata) = SafeTensorsFile.Read(Path.Combine(run, "model.safetensors"));
        var poisoned = tensors.Select(t => t.Name == ParameterNames.MlpIn(0) ? t with { Data = [.. t.Data[..7], float.NaN, .. t.Data[8..]] } : t);
        var nan = Path.Combine(CliProcess.TempFolder(), "nan.safetensors");
        SafeTensorsFile.Write(nan, poisoned, metadata);

        var output = Path.Combine(CliProcess.TempFolder(), "nan.onnx");
        foreach (var r in new[] { CliProcess.Run("export", nan, "-o", output), CliProcess.Run("verify", onnx, nan) })
        {
            Assert.AreEqual(1, r.ExitCode, r.Out + r.Error);
            Assert.AreEqual(1, r.Error.Trim().Split('\n').Length, r.Error);
            StringAssert.StartsWith(r.Error, "error: ");
            StringAssert.Contains(r.Error, "'blocks.0.mlp.W_in' holds NaN at element 7");
        }
        Assert.IsFalse(File.Exists(output), "nothing exported");
    }

    [TestMethod]
    public void AnalyzeRefusesARunThatIsNotTheModelsInOneLine()
    {
        var (_, onnx) = Ungrokked.Value;
        var ternary = Path.Combine(CliProcess.TempFolder(), "ternary");
        Assert.AreEqual(0, CliProcess.Run("train", "--p", "31", "--quant", "ternary", "--epochs", "20", "--out", ternary).ExitCode);
        var otherSeed = Path.Combine(CliProcess.TempFolder(), "seed1");
        Assert.AreEqual(0, CliProcess.Run("train", "--p", "31", "--quant", "binary", "--epochs", "20", "--seed", "1", "--out", otherSeed).ExitCode);

        foreach (var (run, says) in new[] { (ternary, "the run trained li2024 ternary"), (otherSeed, "the run used seed 1, the model seed 0") })
        {
            var report = Path.Combine(CliProcess.TempFolder(), "report");
            var r = CliProcess.Run("analyze", onnx, "--run", run, "-o", report);
            Assert.AreEqual(1, r.ExitCode, r.Out + r.Error);
            Assert.AreEqual(1, r.Error.Trim().Split('\n').Length, r.Error);
            StringAssert.Contains(r.Error, "is not the run of model 'binary.onnx'");
            StringAssert.Contains(r.Error, says);
            Assert.IsFalse(Directory.Exists(report), "nothing written");
        }
    }

    [TestMethod]
    public void AnalyzeRefusesARunWhoseCheckpointHoldsOtherWeights()
    {
        var (run, onnx) = Ungrokked.Value;
        // The same settings trained 10 epochs further: same config and seed, other weights at the model's epoch 20.
        var longer = Path.Combine(CliProcess.TempFolder(), "longer");
        Assert.AreEqual(0, CliProcess.Run("train", "--p", "31", "--quant", "binary", "--epochs", "30", "--log-every", "10", "--checkpoint-every", "10", "--out", longer).ExitCode);
        var same = CliProcess.Run("analyze", onnx, "--run", longer, "--no-gradients", "-o", Path.Combine(CliProcess.TempFolder(), "report"));
        Assert.AreEqual(0, same.ExitCode, "its epoch-20 checkpoint holds the model's weights: " + same.Error);

        var tampered = Path.Combine(CliProcess.TempFolder(), "tampered");
        CopyFolder(longer, tampered);
        var checkpoint = Path.Combine(tampered, "checkpoints", "epoch-000020.safetensors");
        var (tensors, metadata) = SafeTensorsFile.Read(checkpoint);
        SafeTensorsFile.Write(checkpoint, tensors.Select(t => t.Name == ParameterNames.Unembed ? t with { Data = t.Data.Select(v => v * 2).ToArray() } : t), metadata);
        var r = CliProcess.Run("analyze", onnx, "--run", tampered, "-o", Path.Combine(CliProcess.TempFolder(), "report"));
        Assert.AreEqual(1, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Error, "weights at epoch 20");
    }

    [TestMethod]
    public void OutputsThatCannotBeWrittenAreRefusedBeforeTheWork()
    {
        var (run, onnx) = Ungrokked.Value;
        var file = Path.Combine(CliProcess.TempFolder(), "a-file");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "not a folder");
        var analyze = CliProcess.Run("analyze", onnx, "--run", run, "-o", file);
        Assert.AreEqual(1, analyze.ExitCode);
        Assert.AreEqual("error: Cannot write the report folder '" + file + "': it is a file; give a folder (it is created if missing).", analyze.Error.Trim());
        Assert.IsFalse(analyze.Out.Contains("probing", StringComparison.Ordinal), "no analysis ran: " + analyze.Out);
        var export = CliProcess.Run("export", Path.Combine(run, "model.safetensors"), "-o", Path.Combine(file, "model.onnx"));
        Assert.AreEqual(1, export.ExitCode);
        StringAssert.Contains(export.Error, "is a file, not a folder");
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
