namespace BitOnnx.Cli.Tests;

[TestClass]
public sealed class ExportPredictVerifyTests
{
    private static readonly Lazy<string> Run = new(() =>
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run("train", "--p", "11", "--d-model", "16", "--n-heads", "2", "--d-mlp", "32", "--quant", "ternary",
            "--epochs", "30", "--out", run);
        Assert.AreEqual(0, r.ExitCode, r.Error);
        return run;
    });

    private static string Checkpoint => Path.Combine(Run.Value, "model.safetensors");

    [TestMethod]
    [DataRow("float")]
    [DataRow("int8")]
    [DataRow("int2")]
    public void ExportThenVerifyPasses(string weights)
    {
        var onnx = Path.Combine(CliProcess.TempFolder(), "model.onnx");
        var export = CliProcess.Run("export", Checkpoint, "-o", onnx, "--weights", weights, "--probes", "all");
        Assert.AreEqual(0, export.ExitCode, export.Error);
        var verify = CliProcess.Run("verify", onnx, Checkpoint);
        Assert.AreEqual(0, verify.ExitCode, verify.Out + verify.Error);
        StringAssert.Contains(verify.Out, "blocks.0.mlp.hook_post");
        StringAssert.Contains(verify.Out, "0 prediction mismatches");
    }

    [TestMethod]
    public void PredictPrintsTheSumAndRejectsOutOfRangeTokens()
    {
        var onnx = Path.Combine(CliProcess.TempFolder(), "model.onnx");
        Assert.AreEqual(0, CliProcess.Run("export", Checkpoint, "-o", onnx).ExitCode);
        var ok = CliProcess.Run("predict", onnx, "5", "7");
        Assert.AreEqual(0, ok.ExitCode, ok.Error);
        StringAssert.Matches(ok.Out, new System.Text.RegularExpressions.Regex(@"\(5 \+ 7\) mod 11 = \d+"));
        foreach (var (a, b) in new[] { ("11", "0"), ("3", "-1"), ("x", "1") })
        {
            var bad = CliProcess.Run("predict", onnx, a, b);
            Assert.AreNotEqual(0, bad.ExitCode, $"{a} {b}");
            Assert.AreEqual(1, bad.Error.Trim().Split('\n').Length, bad.Error);
        }
        var all = CliProcess.Run("predict", onnx, "--all");
        StringAssert.Contains(all.Out, "accuracy over all 121 pairs");
    }

    [TestMethod]
    public void ExportFailuresLeaveNoFileBehind()
    {
        var folder = CliProcess.TempFolder();
        Directory.CreateDirectory(folder);
        var onnx = Path.Combine(folder, "model.onnx");
        var missing = CliProcess.Run("export", Path.Combine(folder, "none.safetensors"), "-o", onnx);
        StringAssert.Contains(missing.Error, "does not exist");
        var corrupt = Path.Combine(folder, "corrupt.safetensors");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(Checkpoint)[..200]);
        var r = CliProcess.Run("export", corrupt, "-o", onnx);
        Assert.AreNotEqual(0, r.ExitCode);
        var probes = CliProcess.Run("export", Checkpoint, "-o", onnx, "--probes", "hook_nothing");
        StringAssert.Contains(probes.Error, "Valid probes:");
        Assert.AreEqual(0, Directory.GetFiles(folder, "*.onnx*").Length, "no partial .onnx");
    }

    [TestMethod]
    public void CudaRequestedHereSaysWhatIsMissingAndThatCpuWorks()
    {
        var onnx = Path.Combine(CliProcess.TempFolder(), "model.onnx");
        Assert.AreEqual(0, CliProcess.Run("export", Checkpoint, "-o", onnx).ExitCode);
        var r = CliProcess.Run("predict", onnx, "1", "2", "--provider", "cuda");
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Error, "libonnxruntime_providers_cuda.so");
        StringAssert.Contains(r.Error, "CPU execution provider works");
    }
}
