using System.Text.Json;
using BitOnnx.TestSupport;

namespace BitOnnx.Cli.Tests;

/// <summary>The models in models/ load, predict, verify against their checkpoints and analyse right after a clone.</summary>
[TestClass]
public sealed class ShippedModelsTests
{
    private static string ModelsFolder() => Path.Combine(RepositoryRoot.Path, "models");

    [TestMethod]
    [DataRow("li2024-binary", "")]
    [DataRow("li2024-ternary", "")]
    [DataRow("nanda2023-fp", "")]
    [DataRow("li2024-binary", "-int2")]
    [DataRow("li2024-ternary", "-int2")]
    public void ShippedModelPredictsEveryPairAndMatchesItsCheckpoint(string name, string suffix)
    {
        var folder = Path.Combine(ModelsFolder(), name);
        var onnx = Path.Combine(folder, name + suffix + ".onnx");
        var all = CliProcess.Run("predict", onnx, "--all");
        Assert.AreEqual(0, all.ExitCode, all.Error);
        var hits = System.Text.RegularExpressions.Regex.Match(all.Out, @"(\d+)/12769");
        Assert.IsTrue(hits.Success && int.Parse(hits.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 12_756,
            $"the shipped models have grokked (≥ 99.9% of all pairs): {all.Out}");
        // The engine on the checkpoint against ONNX Runtime on the file: every pair, logits within the tolerance.
        var verify = CliProcess.Run("verify", onnx, Path.Combine(folder, "model.safetensors"));
        Assert.AreEqual(0, verify.ExitCode, verify.Out + verify.Error);
        StringAssert.Contains(verify.Out, "12769 pairs: 0 prediction mismatches");
    }

    /// <summary>
    /// The shipped ONNX files take interventions as they are: bitonnx ablate and patch run on them, and mean-ablating
    /// one operand's stream takes any of them to chance (1/113 of the pairs), as a model that uses its inputs must.
    /// </summary>
    [TestMethod]
    [DataRow("li2024-binary")]
    [DataRow("li2024-ternary")]
    [DataRow("nanda2023-fp")]
    public void ShippedModelsAblateAndPatchAsTheyAre(string name)
    {
        var onnx = Path.Combine(ModelsFolder(), name, name + ".onnx");
        var csv = Path.Combine(CliProcess.TempFolder(), "ablation.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(csv)!);
        var ablate = CliProcess.Run("ablate", onnx, "--what", "positions", "--csv", csv);
        Assert.AreEqual(0, ablate.ExitCode, ablate.Out + ablate.Error);
        var operand = File.ReadAllLines(csv).Single(l => l.StartsWith("blocks.0.hook_resid_pre[pos=0],", StringComparison.Ordinal)).Split(',');
        Assert.AreEqual(1.0 / 113, double.Parse(operand[3], System.Globalization.CultureInfo.InvariantCulture), 0.5 / 113);
        var patch = CliProcess.Run("patch", onnx, "--clean", "5,7", "--corrupt", "5,8", "--hooks", "z", "--no-attribution");
        Assert.AreEqual(0, patch.ExitCode, patch.Out + patch.Error);
        StringAssert.Contains(patch.Out, "blocks.0.attn.hook_z[head=");
    }

    /// <summary>
    /// The circuits shipped beside the models (README.md's Circuit section says how they were made) are read by the
    /// project's own reader: each τ's edges_kept is its count of edges, every edge is one of the preset's graph (39 or
    /// 69, counted by hand in CircuitGraphTests), the curve holds the four τs asked for, and circuit.svg draws the first
    /// τ's edges as kept and every other edge as dropped.
    /// </summary>
    [TestMethod]
    [DataRow("li2024-binary")]
    [DataRow("li2024-ternary")]
    [DataRow("nanda2023-fp")]
    public void ShippedCircuitsAreReadBackAndDrawn(string name)
    {
        var folder = Path.Combine(ModelsFolder(), name);
        var (model, report) = BitOnnx.Core.Circuits.CircuitJson.Read(Path.Combine(folder, "circuit.json"));
        Assert.AreEqual(name + ".onnx", model);
        Assert.AreEqual(BitOnnx.Core.Circuits.CircuitMethod.Acdc, report.Method);
        Assert.AreEqual(BitOnnx.Core.Circuits.CircuitMetric.KlDivergence, report.Metric);
        Assert.AreEqual(BitOnnx.Core.Circuits.Corruption.Resample, report.Corruption);
        Assert.AreEqual(0, report.Seed);
        Assert.AreEqual(113 * 113, report.Rows);
        var graph = BitOnnx.Core.Circuits.CircuitGraph.Of(name.StartsWith("nanda", StringComparison.Ordinal)
            ? BitOnnx.Core.Model.TransformerConfig.Nanda2023 : BitOnnx.Core.Model.TransformerConfig.Li2024);
        Assert.AreEqual(name.StartsWith("nanda", StringComparison.Ordinal) ? 69 : 39, report.EdgesTotal);
        CollectionAssert.AreEqual(new[] { 0.01, 0.001, 0.1, 1 }, report.Circuits.Select(c => c.Tau).ToArray());
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "circuit.json")));
        var curve = json.RootElement.GetProperty("curve").EnumerateArray().ToList();
        Assert.AreEqual(json.RootElement.GetProperty("edges").GetArrayLength(), json.RootElement.GetProperty("edges_kept").GetInt32());
        for (var i = 0; i < curve.Count; i++)
        {
            Assert.AreEqual(curve[i].GetProperty("edges").GetArrayLength(), curve[i].GetProperty("edges_kept").GetInt32(), $"τ = {report.Circuits[i].Tau}");
            Assert.AreEqual(report.Circuits[i].EdgesKept, curve[i].GetProperty("edges_kept").GetInt32());
            Assert.IsTrue(report.Circuits[i].Edges.All(e => graph.Find(e.Sender, e.Receiver) is not null), "every edge is one of the graph's");
            Assert.IsTrue(report.Circuits[i].MetricRecovered is > 0.5 and <= 1.0 + 1e-9, $"recovered {report.Circuits[i].MetricRecovered}");
        }

        System.Xml.Linq.XNamespace svg = "http://www.w3.org/2000/svg";
        var paths = System.Xml.Linq.XDocument.Load(Path.Combine(folder, "circuit.svg")).Descendants(svg + "path").ToList();
        CollectionAssert.AreEquivalent(report.Circuits[0].Edges.Select(e => $"{e.Sender} -> {e.Receiver}").ToList(),
            paths.Where(p => (string?)p.Attribute("class") == "edge kept").Select(p => (string)p.Attribute("data-edge")!).ToList());
        Assert.AreEqual(graph.Edges.Count - report.Circuits[0].EdgesKept, paths.Count(p => (string?)p.Attribute("class") == "edge dropped"));
    }

    /// <summary>
    /// The circuits shipped with the MLP grouped by key frequency (circuit-frequency.json, docs/circuits.md) are over the
    /// groups the analysis finds on the model now (FrequencyGroups over all pairs), every kept edge is one of that graph's,
    /// and each group has a key frequency's label but the last, "other".
    /// </summary>
    [TestMethod]
    [DataRow("li2024-binary")]
    [DataRow("li2024-ternary")]
    [DataRow("nanda2023-fp")]
    public void ShippedFrequencyCircuitsAreOverTheModelsKeyFrequencyGroups(string name)
    {
        var folder = Path.Combine(ModelsFolder(), name);
        var path = Path.Combine(folder, name + ".onnx");
        var (model, report) = BitOnnx.Core.Circuits.CircuitJson.Read(Path.Combine(folder, "circuit-frequency.json"));
        Assert.AreEqual(name + ".onnx", model);
        var expected = BitOnnx.Analysis.Analyses.FrequencyGroups.Of(path, 0, threads: 2);
        var shipped = report.MlpPartition!;
        CollectionAssert.AreEqual(expected.Groups.Select(g => g.Label).ToArray(), shipped.Groups.Select(g => g.Label).ToArray());
        for (var g = 0; g < expected.Groups.Count; g++)
            CollectionAssert.AreEqual(expected.Groups[g].Neurons.ToArray(), shipped.Groups[g].Neurons.ToArray(), expected.Groups[g].Label);
        Assert.IsTrue(shipped.Groups.SkipLast(1).All(g => g.Label.StartsWith("f=", StringComparison.Ordinal)) && shipped.Groups[^1].Label == "other");
        var config = BitOnnx.Onnx.Contract.ExportMetadata.Read(BitOnnx.Onnx.OnnxModel.Load(path), name).Config!;
        var graph = BitOnnx.Core.Circuits.CircuitGraph.Of(config, shipped);
        Assert.AreEqual(graph.Edges.Count, report.EdgesTotal);
        Assert.IsTrue(report.Circuits[0].Edges.All(e => graph.Find(e.Sender, e.Receiver) is not null), "every edge is one of the graph's");
        Assert.IsTrue(report.Circuits[0].MetricRecovered > 0.99, $"recovered {report.Circuits[0].MetricRecovered}");
    }

    /// <summary>The shipped models answer by value: (a + b) mod 113 for pairs checked by hand here.</summary>
    [TestMethod]
    [DataRow("li2024-ternary/li2024-ternary-int2.onnx")]
    [DataRow("nanda2023-fp/nanda2023-fp.onnx")]
    public void ShippedModelPrintsTheSum(string file)
    {
        foreach (var (a, b) in new[] { (5, 7), (112, 1), (100, 50), (0, 0) })
        {
            var r = CliProcess.Run("predict", Path.Combine(ModelsFolder(), file), a.ToString(System.Globalization.CultureInfo.InvariantCulture), b.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.AreEqual(0, r.ExitCode, r.Error);
            Assert.AreEqual($"({a} + {b}) mod 113 = {(a + b) % 113}", r.Out.Trim(), file);
        }
    }

    [TestMethod]
    [DataRow("li2024-binary-all")]
    [DataRow("li2024-ternary-all")]
    public void FullyQuantizedModelIsSmallPredictsAndMatchesItsCheckpoint(string name)
    {
        var folder = Path.Combine(ModelsFolder(), name);
        var onnx = Path.Combine(folder, name + "-int2.onnx");
        Assert.IsTrue(new FileInfo(onnx).Length <= 90 * 1024, "every weight matrix in 2 bits: at most 90 KiB");
        var all = CliProcess.Run("predict", onnx, "--all");
        Assert.AreEqual(0, all.ExitCode, all.Error);
        var hits = System.Text.RegularExpressions.Regex.Match(all.Out, @"(\d+)/12769");
        Assert.IsTrue(hits.Success && int.Parse(hits.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 12_642,
            $"the fully quantized models predict ≥ 99% of all pairs: {all.Out}");
        var verify = CliProcess.Run("verify", onnx, Path.Combine(folder, "model.safetensors"));
        Assert.AreEqual(0, verify.ExitCode, verify.Out + verify.Error);
    }

    [TestMethod]
    public void ShippedModelsAnalyseSideBySide()
    {
        var models = ModelsFolder();
        var report = CliProcess.TempFolder();
        var r = CliProcess.Run("analyze", Path.Combine(models, "li2024-ternary", "li2024-ternary.onnx"),
            "--compare", Path.Combine(models, "nanda2023-fp", "nanda2023-fp.onnx"),
            "--run", Path.Combine(models, "li2024-ternary"), "--run", Path.Combine(models, "nanda2023-fp"),
            "--no-gradients", "-o", report);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "summary.json")));
        var first = summary.RootElement.GetProperty("models")[0];
        Assert.AreEqual(113, first.GetProperty("p").GetInt32());
        Assert.IsTrue(first.GetProperty("key_frequencies").GetProperty("neurons").GetArrayLength() > 0, "a grokked model has key frequencies");
    }
}
