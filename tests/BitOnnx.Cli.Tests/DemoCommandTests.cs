using System.Text.Json;

namespace BitOnnx.Cli.Tests;

/// <summary>The main job end to end at CI sizes: train three models, export, verify, analyse, report.</summary>
[TestClass]
public sealed class DemoCommandTests
{
    [TestMethod]
    [TestCategory("slow")]
    public void QuickDemoTrainsExportsVerifiesAndReports()
    {
        var output = CliProcess.TempFolder();
        var r = CliProcess.Run("demo", "--quick", "-o", output);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        foreach (var name in new[] { "li2024-binary", "li2024-ternary", "nanda2023-fp" })
        {
            Assert.IsTrue(File.Exists(Path.Combine(output, "runs", name, "model.safetensors")), name);
            Assert.IsTrue(File.Exists(Path.Combine(output, "models", name + ".onnx")), name);
            Assert.IsTrue(File.Exists(Path.Combine(output, "models", name + ".zip")), name + ": the ML.NET model");
        }
        Assert.IsTrue(File.Exists(Path.Combine(output, "models", "li2024-binary-int2.onnx")));
        var card = File.ReadAllText(Path.Combine(output, "models", "li2024-ternary.md"));
        StringAssert.Contains(card, "bitonnx demo --seed 0 --quick");
        StringAssert.Contains(card, "first logged epoch with test accuracy ≥ 99%");
        StringAssert.Contains(card, "key frequencies (embedding Fourier norms)");
        StringAssert.Contains(r.Out, "prediction mismatches");
        var index = Path.Combine(output, "report", "index.html");
        StringAssert.Contains(r.Out, index);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report", "summary.json")));
        var text = summary.RootElement.GetRawText();
        foreach (var name in new[] { "li2024-binary", "li2024-ternary", "nanda2023-fp" }) StringAssert.Contains(text, name);

        // Each card's command rebuilds its model byte for byte (the quick models differ from the defaults in width, P,
        // learning rate, split and logging: the card must say all of it).
        foreach (var name in new[] { "li2024-binary", "nanda2023-fp" })
        {
            var line = File.ReadAllLines(Path.Combine(output, "models", name + ".md")).Single(l => l.Contains("the same run on its own: "));
            var args = line[(line.IndexOf("bitonnx train ", StringComparison.Ordinal) + "bitonnx train ".Length)..].Split(' ');
            var rebuilt = CliProcess.TempFolder();
            var outAt = Array.IndexOf(args, "--out");
            args[outAt + 1] = rebuilt;
            var train = CliProcess.Run(["train", .. args]);
            Assert.AreEqual(0, train.ExitCode, train.Error);
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(output, "runs", name, "model.safetensors")),
                File.ReadAllBytes(Path.Combine(rebuilt, "model.safetensors")), $"{name}: {line}");
        }

        // A rerun reuses the finished runs instead of training again.
        var again = CliProcess.Run("demo", "--quick", "-o", output);
        Assert.AreEqual(0, again.ExitCode, again.Error);
        StringAssert.Contains(again.Out, "already trained");
    }
}
