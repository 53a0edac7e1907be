using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Report;
using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

/// <summary>
/// The report's circuit section: a circuit file given with a model shows its kept edges (summary.json, the CSV, the
/// page) and a model given none says why not; a circuit of another graph, or no file, is refused when the model is opened.
/// </summary>
[TestClass]
public sealed class CircuitSectionTests
{
    private const int P = 11;

    /// <summary>li2024, 2 heads: q ← embed[2] (2), k and v ← 3 embeddings (12), mlp ← embed[2] + 2 heads (3), logits ← embed[2] + 2 heads + mlp (4).</summary>
    private const int Edges = 21;

    private static readonly (string Sender, string Receiver, double Score)[] Kept =
    [
        ("embed[pos=0]", "blocks.0.attn.head1.v", 0.5),
        ("blocks.0.attn.head1", "blocks.0.mlp", 0.125),
        ("blocks.0.mlp", "logits", 3.25),
    ];

    private static string Export(string folder, string preset)
    {
        var checkpoint = TestCheckpoints.Untrained(SmallConfigs.Interventions(preset, P, WeightQuantization.Ternary), seed: 13);
        var path = Path.Combine(folder, $"{preset}.onnx");
        TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Float, Probes = HookSelection.Every }).Model.Save(path);
        return path;
    }

    private static string Circuit(string folder, int edgesTotal, IEnumerable<(string Sender, string Receiver, double Score)> edges)
    {
        var path = Path.Combine(folder, $"circuit-{edgesTotal}.json");
        var found = new FoundCircuit(0.01, edgesTotal, edges.Select(e => new ScoredEdge(e.Sender, e.Receiver, e.Score)).ToList(), 0.02, 0.98, 1.5);
        CircuitJson.Write(path, new CircuitReport(CircuitMethod.Acdc, CircuitMetric.KlDivergence, Corruption.Resample, 0, P * P, edgesTotal, 0, 1, [found]), "li2024.onnx");
        return path;
    }

    /// <summary>A report of one untrained li2024 model twice: "with" the circuit <see cref="Kept"/>, "without" one.</summary>
    private static ReportFiles Report(string folder)
    {
        var model = Export(folder, TransformerConfig.Li2024Name);
        var circuit = Circuit(folder, Edges, Kept);
        var options = new AnalysisOptions { Sections = ["circuit"] };
        var models = new List<ReportModel>();
        foreach (var request in new[] { new OnnxModelRequest(model, "with", Gradients: false, CircuitPath: circuit), new OnnxModelRequest(model, "without", Gradients: false) })
        {
            using var inputs = OnnxModelInputs.Open(request, options);
            models.Add(new ReportModel(ModelAnalyzer.Analyze(inputs.Inputs, options)));
        }
        return ReportWriter.Write(Path.Combine(folder, "report"), models);
    }

    [TestMethod]
    public void AGivenCircuitShowsItsKeptEdgesAndAModelWithoutOneSaysWhyNot()
    {
        using var dir = new TempDir();
        var files = Report(dir.Path);

        using var summary = JsonDocument.Parse(File.ReadAllText(files.SummaryJson));
        var with = summary.RootElement.GetProperty("models")[0].GetProperty("sections").GetProperty("circuit");
        Assert.AreEqual("acdc", with.GetProperty("method").GetString());
        Assert.AreEqual(Edges, with.GetProperty("edges_total").GetInt32());
        Assert.AreEqual(3, with.GetProperty("edges_kept").GetInt32());
        Assert.AreEqual(0.98, with.GetProperty("metric_recovered").GetDouble());
        StringAssert.Contains(summary.RootElement.GetProperty("models")[1].GetProperty("sections").GetProperty("circuit").GetProperty("skipped").GetString(), "--circuit");

        var csv = File.ReadAllLines(Path.Combine(dir.Path, "report", "data", "with", "circuit_edges.csv"));
        CollectionAssert.AreEqual(new[] { "sender,receiver,score" }.Concat(Kept.Select(e => $"{e.Sender},{e.Receiver},{e.Score.ToString(CultureInfo.InvariantCulture)}")).ToArray(), csv);
        Assert.IsFalse(File.Exists(Path.Combine(dir.Path, "report", "data", "without", "circuit_edges.csv")));

        var page = File.ReadAllText(files.IndexHtml);
        StringAssert.Contains(page, "data-plot=\"circuitDiagram\" data-section=\"circuit\" data-model=\"0\"");
        Assert.IsFalse(page.Contains("data-plot=\"circuitDiagram\" data-section=\"circuit\" data-model=\"1\"", StringComparison.Ordinal), "no diagram for the model without a circuit");
        StringAssert.Contains(page, "BitOnnxReport.renderers.circuitDiagram");
        StringAssert.Contains(page, "no circuit: give bitonnx analyze --circuit");
    }

    /// <summary>The page draws the diagram (the SVG in the page, its three kept edges) and the table, and counts it as drawn.</summary>
    [TestMethod]
    [Timeout(300_000)]
    public void TheDiagramAndTheTableAreDrawnInHeadlessChromium()
    {
        var browser = HeadlessChromium.Find();
        if (browser is null)
            Assert.Inconclusive($"No headless Chromium found (looked in {HeadlessChromium.SearchedPaths}); install the Debian package `chromium` to check the circuit section in a browser.");
        using var dir = new TempDir();
        var files = Report(dir.Path);
        var (dom, log) = HeadlessChromium.Run(browser, files.IndexHtml, TimeSpan.FromMinutes(4), "--dump-dom");
        string Attr(string name)
        {
            var m = Regex.Match(dom, $"<html[^>]*\\s{name}=\"([^\"]*)\"");
            return m.Success ? m.Groups[1].Value : throw new AssertFailedException($"<html> has no {name}: the report script did not finish.\n{log}");
        }
        Assert.AreEqual("true", Attr("data-report-ready"));
        Assert.AreEqual("", Attr("data-plot-errors"));
        Assert.AreEqual(Attr("data-plots-expected"), Attr("data-plots-rendered"));
        Assert.AreEqual(Kept.Length, Regex.Matches(dom, "class=\"edge kept\"").Count, "the diagram's kept edges are in the page");
        Assert.AreEqual(Edges - Kept.Length, Regex.Matches(dom, "class=\"edge dropped\"").Count);
        foreach (var (sender, receiver, _) in Kept) StringAssert.Contains(dom, $"<td class=\"mono\">{receiver}</td>", sender);
    }

    [TestMethod]
    public void ACircuitOfAnotherGraphOrNoFileIsRefusedWhenTheModelIsOpened()
    {
        using var dir = new TempDir();
        var model = Export(dir.Path, TransformerConfig.Li2024Name);
        var nanda = CircuitGraph.Of(SmallConfigs.Interventions(TransformerConfig.Nanda2023Name, P, WeightQuantization.Ternary));
        var other = Circuit(dir.Path, nanda.Edges.Count, [("pos_embed[pos=0]", "blocks.0.attn.head0.k", 1)]);
        var e = Assert.ThrowsExactly<AnalysisInputException>(() => OnnxModelInputs.Open(new OnnxModelRequest(model, Gradients: false, CircuitPath: other)));
        StringAssert.Contains(e.Message, $"was found on a graph of {nanda.Edges.Count} edges with the edge 'pos_embed[pos=0] -> blocks.0.attn.head0.k', not on model 'li2024.onnx' ({Edges} edges)");
        e = Assert.ThrowsExactly<AnalysisInputException>(() => OnnxModelInputs.Open(new OnnxModelRequest(model, Gradients: false, CircuitPath: Path.Combine(dir.Path, "none.json"))));
        StringAssert.Contains(e.Message, "does not exist");
    }
}
