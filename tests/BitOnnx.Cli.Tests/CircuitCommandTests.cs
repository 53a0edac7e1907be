using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using BitOnnx.Core.Circuits;
using BitOnnx.Onnx;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// <c>bitonnx circuit</c> as scripts use it: the JSON's keys and what they must satisfy, the faithfulness curve for a
/// list of τ, each method and corruption, and one error line for each bad input with nothing written.
/// </summary>
[TestClass]
public sealed class CircuitCommandTests
{
    private const int P = 13;

    /// <summary>li2024, 2 heads: q ← embed[2] (2), k and v ← 3 embeddings (12), mlp ← embed[2] + 2 heads (3), logits ← embed[2] + 2 heads + mlp (4).</summary>
    private const int Edges = 21;

    /// <summary>A small li2024 binary model (1 layer, 2 heads, 24 neurons) exported with every probe writable, and a copy without its bitonnx config.</summary>
    private static readonly Lazy<(string Model, string Bare)> Models = new(() =>
    {
        var folder = CliProcess.TempFolder();
        var run = Path.Combine(folder, "run");
        var train = CliProcess.Run("train", "--p", P.ToString(CultureInfo.InvariantCulture), "--d-model", "16", "--n-heads", "2", "--d-mlp", "24",
            "--quant", "binary", "--epochs", "40", "--log-every", "40", "--out", run);
        Assert.AreEqual(0, train.ExitCode, train.Error);
        var path = Path.Combine(folder, "model.onnx");
        var export = CliProcess.Run("export", Path.Combine(run, "model.safetensors"), "-o", path, "--probes", "all", "--writable", "all");
        Assert.AreEqual(0, export.ExitCode, export.Error);
        var bare = OnnxModel.Load(path);
        var config = bare.Proto.MetadataProps.Single(m => m.Key == "bitonnx.config");
        bare.Proto.MetadataProps.Remove(config);
        var barePath = Path.Combine(folder, "bare.onnx");
        bare.Save(barePath);
        return (path, barePath);
    });

    private static string Json() => Path.Combine(CliProcess.TempFolder(), "circuit.json");

    [TestMethod]
    public void AcdcWritesEachTausCircuitAndTheCurvesArea()
    {
        var json = Json();
        var r = CliProcess.Run("circuit", Models.Value.Model, "--tau", "0.001,0.01,0.1", "--json", json);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        Assert.AreEqual("", r.Error);
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var root = document.RootElement;
        foreach (var key in new[] { "edges_total", "edges_kept", "metric_recovered", "seconds", "edges", "tau", "metric_circuit", "metric_clean", "metric_corrupted", "curve", "area" })
            Assert.IsTrue(root.TryGetProperty(key, out _), $"the JSON has {key}");
        Assert.AreEqual("acdc", root.GetProperty("method").GetString());
        Assert.AreEqual("kl", root.GetProperty("metric").GetString());
        Assert.AreEqual(P * P, root.GetProperty("rows").GetInt32());
        Assert.AreEqual(Edges, root.GetProperty("edges_total").GetInt32());
        Assert.AreEqual(0.001, root.GetProperty("tau").GetDouble());
        var edges = root.GetProperty("edges").EnumerateArray().ToList();
        Assert.AreEqual(root.GetProperty("edges_kept").GetInt32(), edges.Count);
        Assert.IsTrue(edges.All(e => e.GetProperty("sender").GetString()!.Length > 0 && e.GetProperty("receiver").GetString()!.Length > 0
            && e.GetProperty("score").GetDouble() >= 0.001), "each kept edge moved the KL by at least τ");
        Assert.AreEqual(0.0, root.GetProperty("metric_clean").GetDouble());
        var curve = root.GetProperty("curve").EnumerateArray().ToList();
        CollectionAssert.AreEqual(new[] { 0.001, 0.01, 0.1 }, curve.Select(c => c.GetProperty("tau").GetDouble()).ToArray());
        var kept = curve.Select(c => c.GetProperty("edges_kept").GetInt32()).ToArray();
        Assert.IsTrue(kept[0] >= kept[1] && kept[1] >= kept[2], "a larger τ keeps no more edges");
        // Every removal raised the KL by less than τ, so the circuit's KL is below (edges removed) × τ.
        foreach (var c in curve)
            Assert.IsTrue(c.GetProperty("metric_circuit").GetDouble() < (Edges - c.GetProperty("edges_kept").GetInt32()) * c.GetProperty("tau").GetDouble() + 1e-12);
        var (model, report) = CircuitJson.Read(json);
        Assert.AreEqual("model.onnx", model);
        Assert.AreEqual(root.GetProperty("area").GetDouble(), report.Area, 1e-12);
        StringAssert.Contains(r.Out, "Area under the faithfulness curve");
        StringAssert.Contains(r.Out, $"of {Edges} edges kept");
    }

    [TestMethod]
    public void SvgDrawsTheFirstTausCircuitEdgeForEdge()
    {
        var json = Json();
        var svg = Path.Combine(CliProcess.TempFolder(), "diagram", "circuit.svg");
        var r = CliProcess.Run("circuit", Models.Value.Model, "--tau", "0.01,0.1", "--json", json, "--svg", svg);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        StringAssert.Contains(r.Out, "circuit.svg");
        var (_, report) = CircuitJson.Read(json);
        var kept = report.Circuits[0].Edges.Select(e => $"{e.Sender} -> {e.Receiver}").ToList();
        XNamespace ns = "http://www.w3.org/2000/svg";
        var paths = XDocument.Load(svg).Descendants(ns + "path").ToList();
        CollectionAssert.AreEquivalent(kept, paths.Where(p => (string?)p.Attribute("class") == "edge kept").Select(p => (string)p.Attribute("data-edge")!).ToList());
        Assert.AreEqual(Edges - kept.Count, paths.Count(p => (string?)p.Attribute("class") == "edge dropped"));
        // 3 embeddings, 2 heads with their 6 inputs, the MLP and the logits.
        Assert.AreEqual(13, XDocument.Load(svg).Descendants(ns + "g").Count(g => (string?)g.Attribute("class") == "node"));
    }

    [TestMethod]
    public void MlpGroupsAreNodesOfTheGraphTheJsonAndTheDiagram()
    {
        var json = Json();
        var svg = Path.Combine(CliProcess.TempFolder(), "circuit.svg");
        var r = CliProcess.Run("circuit", Models.Value.Model, "--mlp-groups", "3", "--tau", "1e-4", "--json", json, "--svg", svg);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        var (_, report) = CircuitJson.Read(json);
        Assert.AreEqual(3, report.MlpGroups);
        // q, k, v as before (14); each of 3 groups ← embed[2] + 2 heads (9); logits ← embed[2] + 2 heads + 3 groups (6).
        Assert.AreEqual(29, report.EdgesTotal);
        Assert.IsTrue(report.Circuits[0].Edges.Any(e => e.Sender.StartsWith("blocks.0.mlp[group=", StringComparison.Ordinal)), "a group reaches the logits");
        Assert.IsTrue(report.Circuits[0].MetricRecovered > 0.5, $"recovered {report.Circuits[0].MetricRecovered}");
        XNamespace ns = "http://www.w3.org/2000/svg";
        var nodes = XDocument.Load(svg).Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "node").Select(g => (string)g.Attribute("data-node")!).ToList();
        // 3 embeddings, 2 heads and their 6 inputs, 3 groups, the logits.
        Assert.AreEqual(15, nodes.Count);
        CollectionAssert.IsSubsetOf(new[] { "blocks.0.mlp[group=0]", "blocks.0.mlp[group=2]" }, nodes);
    }

    [TestMethod]
    public void AnalyzeShowsTheCircuitItIsGivenAndRefusesAMissingOne()
    {
        var json = Json();
        var found = CliProcess.Run("circuit", Models.Value.Model, "--json", json);
        Assert.AreEqual(0, found.ExitCode, found.Out + found.Error);
        var (_, report) = CircuitJson.Read(json);
        var folder = Path.Combine(CliProcess.TempFolder(), "report");
        var r = CliProcess.Run("analyze", Models.Value.Model, "--circuit", json, "--no-gradients", "-o", folder);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        var section = summary.RootElement.GetProperty("models")[0].GetProperty("sections").GetProperty("circuit");
        Assert.AreEqual(report.Circuits[0].EdgesKept, section.GetProperty("edges_kept").GetInt32());
        Assert.AreEqual(Edges, section.GetProperty("edges_total").GetInt32());
        var csv = File.ReadAllLines(Path.Combine(folder, "data", "model.onnx", "circuit_edges.csv"));
        CollectionAssert.AreEqual(report.Circuits[0].Edges.Select(e => $"{e.Sender},{e.Receiver}").ToArray(),
            csv.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))).ToArray());

        var missing = Path.Combine(CliProcess.TempFolder(), "none.json");
        var bad = CliProcess.Run("analyze", Models.Value.Model, "--circuit", missing, "-o", Path.Combine(CliProcess.TempFolder(), "report"));
        Assert.AreEqual(1, bad.ExitCode, bad.Out + bad.Error);
        var errors = bad.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(1, errors.Length, bad.Error);
        StringAssert.StartsWith(errors[0], $"error: Circuit file '{missing}' does not exist");
    }

    [TestMethod]
    [DataRow("eap", "loss", "resample")]
    [DataRow("eap-ig", "kl", "mean")]
    [DataRow("acdc", "loss", "mean")]
    public void EachMethodMetricAndCorruptionFindsACircuit(string method, string metric, string corrupt)
    {
        var json = Json();
        var r = CliProcess.Run("circuit", Models.Value.Model, "--method", method, "--metric", metric, "--corrupt", corrupt, "--steps", "2", "--tau", "1e-4", "--json", json);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        var (_, report) = CircuitJson.Read(json);
        Assert.AreEqual(method, CircuitReport.NameOf(report.Method));
        Assert.AreEqual(corrupt, CircuitReport.NameOf(report.Corruption));
        Assert.AreEqual(1, report.Circuits.Count);
        var circuit = report.Circuits[0];
        Assert.IsTrue(circuit.EdgesKept is > 0 and <= Edges, $"{circuit.EdgesKept} edges kept");
        Assert.IsTrue(report.MetricCorrupted > report.MetricClean, "corrupting every edge hurts");
        Assert.IsTrue(circuit.MetricRecovered > 0.5, $"the circuit at τ = 1e-4 recovers most of the metric ({circuit.MetricRecovered})");
        Assert.IsTrue(circuit.Edges.All(e => Math.Abs(e.Score) >= 1e-4) || method == "acdc");
    }

    /// <summary>
    /// <c>--backend onnx</c> runs ACDC through ONNX Runtime on the model's edge-patched graph and finds the engine's
    /// circuit: the same kept edges at every τ, scores and metrics equal to float32 rounding (1e-4 of max(1, |value|),
    /// the bound tests/BitOnnx.Equivalence.Tests holds the two backends' logits to).
    /// </summary>
    [TestMethod]
    public void OnnxBackendFindsTheEnginesCircuit()
    {
        var (engineJson, onnxJson) = (Json(), Json());
        var engine = CliProcess.Run("circuit", Models.Value.Model, "--tau", "1e-3,1e-2", "--json", engineJson);
        var onnx = CliProcess.Run("circuit", Models.Value.Model, "--tau", "1e-3,1e-2", "--backend", "onnx", "--json", onnxJson);
        Assert.AreEqual(0, engine.ExitCode, engine.Out + engine.Error);
        Assert.AreEqual(0, onnx.ExitCode, onnx.Out + onnx.Error);
        Assert.AreEqual("", onnx.Error);
        var (_, expected) = CircuitJson.Read(engineJson);
        var (_, actual) = CircuitJson.Read(onnxJson);
        static double Bound(double v) => 1e-4 * Math.Max(1, Math.Abs(v));
        Assert.AreEqual(expected.MetricCorrupted, actual.MetricCorrupted, Bound(expected.MetricCorrupted));
        Assert.AreEqual(expected.Circuits.Count, actual.Circuits.Count);
        for (var i = 0; i < expected.Circuits.Count; i++)
        {
            var (e, a) = (expected.Circuits[i], actual.Circuits[i]);
            CollectionAssert.AreEquivalent(e.Edges.Select(x => $"{x.Sender} -> {x.Receiver}").ToList(), a.Edges.Select(x => $"{x.Sender} -> {x.Receiver}").ToList(), $"τ = {e.Tau}: the same edges kept");
            Assert.IsTrue(e.Edges.Count > 0, "the circuit is not empty");
            var scores = a.Edges.ToDictionary(x => $"{x.Sender} -> {x.Receiver}", x => x.Score);
            foreach (var edge in e.Edges) Assert.AreEqual(edge.Score, scores[$"{edge.Sender} -> {edge.Receiver}"], Bound(edge.Score), $"score of {edge.Sender} -> {edge.Receiver}");
            Assert.AreEqual(e.MetricCircuit, a.MetricCircuit, Bound(e.MetricCircuit));
        }
    }

    /// <summary>
    /// --mlp-groups frequency searches the graph whose MLP groups are the key-frequency clusters Analysis finds on the
    /// model's activations over all pairs (FrequencyGroups, tested on planted activations in the Analysis tests), and
    /// the JSON carries that partition.
    /// </summary>
    [TestMethod]
    public void FrequencyGroupsAreTheKeyFrequencyClustersOfTheModel()
    {
        var json = Json();
        var r = CliProcess.Run("circuit", Models.Value.Model, "--mlp-groups", "frequency", "--tau", "1e-4", "--json", json);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        var expected = BitOnnx.Analysis.Analyses.FrequencyGroups.Of(Models.Value.Model, 0);
        var (_, report) = CircuitJson.Read(json);
        Assert.AreEqual(expected.Groups.Count, report.MlpGroups);
        var config = BitOnnx.Onnx.Contract.ExportMetadata.Read(OnnxModel.Load(Models.Value.Model), "small").Config!;
        var graph = CircuitGraph.Of(config, expected);
        Assert.AreEqual(graph.Edges.Count, report.EdgesTotal);
        Assert.IsTrue(report.Circuits[0].Edges.All(e => graph.Find(e.Sender, e.Receiver) is not null), "every kept edge is one of the frequency graph's");
        if (expected.Groups.Count > 1)
            CollectionAssert.AreEqual(expected.Groups.SelectMany(g => g.Neurons).ToArray(), report.MlpPartition!.Groups.SelectMany(g => g.Neurons).ToArray());
    }

    [TestMethod]
    [DataRow("method", 2, "'bogus'")]
    [DataRow("zero", 1, "--tau '0' is not a positive number")]
    [DataRow("text", 1, "--tau 'abc' is not a positive number")]
    [DataRow("eap-kl", 1, "use --method eap-ig")]
    [DataRow("bare", 1, "carries no bitonnx config")]
    [DataRow("missing", 1, "does not exist")]
    [DataRow("steps", 1, "--steps 0")]
    [DataRow("svg", 1, "Cannot write the diagram")]
    [DataRow("groups", 1, "--mlp-groups 0")]
    [DataRow("bogus-groups", 1, "--mlp-groups bogus is neither a number of groups nor 'frequency'")]
    [DataRow("bare-frequency", 1, "carries no bitonnx config, so its MLP cannot be grouped by frequency")]
    [DataRow("too-many-groups", 1, "An MLP of 24 neurons cannot be split into 25 groups")]
    [DataRow("backend", 2, "'gpu'")]
    [DataRow("eap-onnx", 1, "which ONNX Runtime does not give")]
    [DataRow("bare-onnx", 1, "carries no bitonnx.config")]
    public void BadInputIsOneErrorLineAndNoJson(string bad, int exit, string message)
    {
        var json = Json();
        var (model, bare) = Models.Value;
        string[] args = bad switch
        {
            "method" => ["circuit", model, "--method", "bogus"],
            "zero" => ["circuit", model, "--tau", "0.01,0"],
            "text" => ["circuit", model, "--tau", "abc"],
            "eap-kl" => ["circuit", model, "--method", "eap", "--metric", "kl"],
            "bare" => ["circuit", bare],
            "missing" => ["circuit", Path.Combine(CliProcess.TempFolder(), "none.onnx")],
            "steps" => ["circuit", model, "--method", "eap-ig", "--steps", "0"],
            "groups" => ["circuit", model, "--mlp-groups", "0"],
            "bogus-groups" => ["circuit", model, "--mlp-groups", "bogus"],
            "bare-frequency" => ["circuit", bare, "--mlp-groups", "frequency"],
            "too-many-groups" => ["circuit", model, "--mlp-groups", "25"],
            "backend" => ["circuit", model, "--backend", "gpu"],
            "eap-onnx" => ["circuit", model, "--method", "eap", "--metric", "loss", "--backend", "onnx"],
            "bare-onnx" => ["circuit", bare, "--backend", "onnx"],
            _ => ["circuit", model, "--svg", Directory.CreateDirectory(CliProcess.TempFolder()).FullName],
        };
        var r = CliProcess.Run([.. args, "--json", json]);
        Assert.AreEqual(exit, r.ExitCode, r.Out + r.Error);
        var errors = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(1, errors.Length, r.Error);
        StringAssert.StartsWith(errors[0], "error: ");
        StringAssert.Contains(errors[0], message);
        Assert.IsFalse(File.Exists(json), "nothing written");
    }
}
