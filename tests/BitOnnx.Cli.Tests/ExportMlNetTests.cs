namespace BitOnnx.Cli.Tests;

/// <summary>bitonnx export to an ML.NET model zip: implied by .zip, written whole, probes refused in one line.</summary>
[TestClass]
public sealed class ExportMlNetTests
{
    private static readonly Lazy<string> Run = new(() =>
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run("train", "--p", "11", "--d-model", "16", "--n-heads", "2", "--d-mlp", "32", "--quant", "ternary",
            "--epochs", "30", "--out", run);
        Assert.AreEqual(0, r.ExitCode, r.Error);
        return Path.Combine(run, "model.safetensors");
    });

    [TestMethod]
    public void AZipOutputWritesTheMlNetModel()
    {
        var folder = CliProcess.TempFolder();
        var zip = Path.Combine(folder, "model.zip");
        var r = CliProcess.Run("export", Run.Value, "-o", zip);
        Assert.AreEqual(0, r.ExitCode, r.Error);
        StringAssert.Contains(r.Out, "ML.NET model");
        using var archive = System.IO.Compression.ZipFile.OpenRead(zip);
        Assert.IsTrue(archive.Entries.Any(e => e.FullName.EndsWith("OnnxModel", StringComparison.Ordinal)), "ApplyOnnxModel's bytes are inside");
        CollectionAssert.AreEquivalent(new[] { "model.zip" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray(), "no temporary file left");
    }

    [TestMethod]
    public void FormatMlNetRefusesProbesInOneLine()
    {
        var zip = Path.Combine(CliProcess.TempFolder(), "model.zip");
        var r = CliProcess.Run("export", Run.Value, "-o", zip, "--format", "mlnet", "--probes", "all");
        Assert.AreEqual(1, r.ExitCode);
        StringAssert.StartsWith(r.Error, "error: The ML.NET model takes A and B");
        Assert.AreEqual(1, r.Error.Trim().Split('\n').Length, r.Error);
        Assert.IsFalse(File.Exists(zip));
    }
}
