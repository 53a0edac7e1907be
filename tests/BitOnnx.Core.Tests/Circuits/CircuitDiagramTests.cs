using System.Globalization;
using System.Xml.Linq;
using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Tests.Circuits;

/// <summary>
/// The circuit diagram read back as XML: one node element per node of the graph (counted by hand), one kept path per
/// kept edge and a dropped one for every other, stroke widths on the log scale its documentation states, the same
/// bytes every time, and a refusal to draw a circuit on a graph it was not found on.
/// </summary>
[TestClass]
public sealed class CircuitDiagramTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>The planted circuit's shape (nanda2023, P = 3, 4 heads) and its five edges (Engine.Tests' PlantedCircuit).</summary>
    private static readonly TransformerConfig Planted = TransformerConfig.Nanda2023 with
    {
        P = 3,
        DModel = 16,
        NHeads = 4,
        DHead = 4,
        DMlp = 9,
        Quantization = WeightQuantization.None,
    };

    private static readonly (string Sender, string Receiver, double Score)[] PlantedEdges =
    [
        ("embed[pos=0]", "blocks.0.attn.head0.v", 0.02),
        ("embed[pos=1]", "blocks.0.attn.head1.v", 0.3),
        ("blocks.0.attn.head0", "blocks.0.mlp", 0.02 * Math.Sqrt(50)),
        ("blocks.0.attn.head1", "blocks.0.mlp", 1.5),
        ("blocks.0.mlp", "logits", 2),
    ];

    private static CircuitReport Report(CircuitGraph graph, IEnumerable<(string Sender, string Receiver, double Score)> edges, double tau = 0.01) =>
        new(CircuitMethod.Acdc, CircuitMetric.KlDivergence, Corruption.Resample, 0, 9, graph.Edges.Count, 0, 1.1,
            [new FoundCircuit(tau, graph.Edges.Count, edges.Select(e => new ScoredEdge(e.Sender, e.Receiver, e.Score)).ToList(), 0.01, 0.99, 0.5)]);

    private static List<XElement> Paths(XDocument svg, string kind) =>
        svg.Descendants(Svg + "path").Where(p => (string?)p.Attribute("class") == $"edge {kind}").ToList();

    private static double Width(XElement path) => double.Parse((string)path.Attribute("stroke-width")!, CultureInfo.InvariantCulture);

    [TestMethod]
    public void ThePlantedCircuitIsDrawnNodeByNodeWithItsEdgesKeptAndEveryOtherDropped()
    {
        var graph = CircuitGraph.Of(Planted);
        var svg = XDocument.Parse(CircuitDiagram.Svg(graph, Report(graph, PlantedEdges), "planted.onnx"));
        Assert.AreEqual(Svg + "svg", svg.Root!.Name);
        // 3 token and 3 positional embeddings, 4 heads, their 12 q/k/v inputs, the MLP (one node for its input and output) and the logits.
        var nodes = svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "node").Select(g => (string)g.Attribute("data-node")!).ToList();
        Assert.AreEqual(24, nodes.Count);
        Assert.AreEqual(24, nodes.Distinct().Count());
        CollectionAssert.IsSubsetOf(new[] { "embed[pos=2]", "pos_embed[pos=0]", "blocks.0.attn.head3", "blocks.0.attn.head3.k", "blocks.0.mlp", "logits" }, nodes);

        var kept = Paths(svg, "kept").Select(p => (string)p.Attribute("data-edge")!).ToList();
        CollectionAssert.AreEquivalent(PlantedEdges.Select(e => $"{e.Sender} -> {e.Receiver}").ToArray(), kept);
        var dropped = Paths(svg, "dropped").Select(p => (string)p.Attribute("data-edge")!).ToList();
        Assert.AreEqual(69 - 5, dropped.Count);
        Assert.IsFalse(dropped.Intersect(kept).Any(), "no kept edge is drawn as dropped");
        Assert.IsTrue(dropped.Contains("embed[pos=0] -> blocks.0.attn.head0.k") && dropped.Contains("blocks.0.attn.head2 -> logits"));

        var text = string.Concat(svg.Descendants(Svg + "text").Select(t => t.Value + "\n"));
        StringAssert.Contains(text, "planted.onnx · acdc circuit");
        StringAssert.Contains(text, "τ = 0.01");
        StringAssert.Contains(text, "5 of 69 edges kept; metric recovered 99.0%");
    }

    [TestMethod]
    public void StrokeWidthGrowsWithTheLogOfTheScoreFromThinnestToThickest()
    {
        var graph = CircuitGraph.Of(Planted);
        var svg = XDocument.Parse(CircuitDiagram.Svg(graph, Report(graph, PlantedEdges)));
        var widths = Paths(svg, "kept").ToDictionary(p => (string)p.Attribute("data-edge")!, Width);
        var byScore = PlantedEdges.OrderBy(e => e.Score).Select(e => widths[$"{e.Sender} -> {e.Receiver}"]).ToArray();
        for (var i = 1; i < byScore.Length; i++) Assert.IsTrue(byScore[i] > byScore[i - 1], $"width {byScore[i]} after {byScore[i - 1]}");
        // Width 1 + 6 · ln(|s| / 0.02) / ln(2 / 0.02): 1 for the smallest score, 7 for the largest, by the logarithm between them.
        Assert.AreEqual(1, byScore[0], 0.01);
        Assert.AreEqual(7, byScore[^1], 0.01);
        Assert.AreEqual(1 + 6 * Math.Log(Math.Sqrt(50)) / Math.Log(100), widths["blocks.0.attn.head0 -> blocks.0.mlp"], 0.01);
        Assert.AreEqual(1 + 6 * Math.Log(0.3 / 0.02) / Math.Log(100), widths["embed[pos=1] -> blocks.0.attn.head1.v"], 0.01);
        Assert.IsTrue(Paths(svg, "dropped").All(p => Width(p) < 1), "dropped edges are fainter than any kept one");
    }

    [TestMethod]
    public void ATwoLayerGraphHasANodeForEachHeadInputMlpAndEmbeddingAndTheSameBytesEveryTime()
    {
        var graph = CircuitGraph.Of(TransformerConfig.Li2024 with { NLayers = 2, NHeads = 2, DModel = 8, DHead = 4 });
        var report = Report(graph, [("blocks.0.mlp", "blocks.1.attn.head0.k", -0.5), ("blocks.1.mlp", "logits", 3)]);
        var text = CircuitDiagram.Svg(graph, report);
        var svg = XDocument.Parse(text);
        // 3 embeddings; per block 2 heads, 6 inputs and the MLP; the logits.
        Assert.AreEqual(3 + 2 * 9 + 1, svg.Descendants(Svg + "g").Count(g => (string?)g.Attribute("class") == "node"));
        Assert.AreEqual(2, Paths(svg, "kept").Count);
        Assert.AreEqual(68 - 2, Paths(svg, "dropped").Count);
        Assert.AreEqual("#d0543f", (string)Paths(svg, "kept").Single(p => (string)p.Attribute("data-edge")! == "blocks.0.mlp -> blocks.1.attn.head0.k").Attribute("stroke")!);

        Assert.AreEqual(text, CircuitDiagram.Svg(graph, report), "the same bytes every time");

        var path = Path.Combine(Path.GetTempPath(), $"bitonnx-diagram-{Guid.NewGuid():N}", "circuit.svg");
        CircuitDiagram.Write(path, graph, report);
        Assert.AreEqual(text, File.ReadAllText(path));
        Assert.AreEqual(1, Directory.GetFiles(Path.GetDirectoryName(path)!).Length, "no temporary file left");
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [TestMethod]
    public void ACircuitOfAnotherGraphIsRefused()
    {
        var nanda = CircuitGraph.Of(Planted);
        var li = CircuitGraph.Of(TransformerConfig.Li2024 with { P = 3 });
        var circuit = Report(nanda, [("pos_embed[pos=0]", "blocks.0.attn.head0.k", 1)]);
        var e = Assert.ThrowsExactly<CircuitException>(() => CircuitDiagram.Svg(li, circuit));
        StringAssert.Contains(e.Message, "69 edges");
        var unknown = Report(li, [("blocks.0.attn.head7", "logits", 1)]);
        e = Assert.ThrowsExactly<CircuitException>(() => CircuitDiagram.Svg(li, unknown));
        StringAssert.Contains(e.Message, "'blocks.0.attn.head7 -> logits' is not in this model's graph");
    }
}
