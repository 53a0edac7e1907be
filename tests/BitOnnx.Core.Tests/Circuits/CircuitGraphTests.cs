using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Tests.Circuits;

/// <summary>
/// The graph as ACDC draws it, counted by hand: per receiver, the senders computed before its node, embeddings only at
/// the positions it reads (the last block's queries and MLP and the logits read the last position only).
/// </summary>
[TestClass]
public sealed class CircuitGraphTests
{
    [TestMethod]
    public void TheShippedShapesHave39And69Edges()
    {
        // li2024, 4 heads: q ← embed[2] (4); k, v ← 3 embeddings (24); mlp ← embed[2] + 4 heads (5); logits ← embed[2] + 4 heads + mlp (6).
        var li = CircuitGraph.Of(TransformerConfig.Li2024);
        Assert.AreEqual(39, li.Edges.Count);
        // nanda2023 adds the positional embeddings wherever the token embeddings go: 30 more.
        Assert.AreEqual(69, CircuitGraph.Of(TransformerConfig.Nanda2023).Edges.Count);
        foreach (var name in new[] { "embed[pos=0] -> blocks.0.attn.head1.k", "embed[pos=2] -> blocks.0.attn.head3.q", "blocks.0.attn.head2 -> blocks.0.mlp",
            "blocks.0.attn.head0 -> logits", "blocks.0.mlp -> logits", "embed[pos=2] -> logits" })
            Assert.IsNotNull(li.Find(name.Split(" -> ")[0], name.Split(" -> ")[1]), name);
        foreach (var name in new[] { "embed[pos=0] -> blocks.0.attn.head1.q", "embed[pos=1] -> blocks.0.mlp", "embed[pos=0] -> logits", "blocks.0.attn.head0 -> blocks.0.attn.head1.v" })
            Assert.IsNull(li.Find(name.Split(" -> ")[0], name.Split(" -> ")[1]), name);
        Assert.AreEqual("embed[pos=1] -> blocks.0.attn.head3.v", li.Into(new CircuitReceiver(ReceiverKind.Value, 0, 3))[1].Name);
    }

    [TestMethod]
    public void ATwoLayerGraphConnectsEveryBlockToTheLaterOnes()
    {
        // H = 2: block 0's heads ← 3 embeddings (18); mlp0 ← 3 + 2 heads (5); block 1's q ← embed[2] + 2 heads + mlp0 (8);
        // its k, v ← 3 + 2 + 1 (24); mlp1 ← embed[2] + 2 + mlp0 + 2 (6); logits ← embed[2] + 4 heads + 2 MLPs (7).
        var graph = CircuitGraph.Of(TransformerConfig.Li2024 with { NLayers = 2, NHeads = 2, DModel = 8, DHead = 4 });
        Assert.AreEqual(68, graph.Edges.Count);
        Assert.AreEqual(graph.Edges.Count, graph.Edges.Select(e => e.Name).Distinct().Count());
        CollectionAssert.AreEqual(Enumerable.Range(0, graph.Edges.Count).ToArray(), graph.Edges.Select(e => e.Index).ToArray());
        Assert.IsNotNull(graph.Find("blocks.0.mlp", "blocks.1.attn.head0.k"));
        Assert.IsNotNull(graph.Find("blocks.0.attn.head1", "blocks.1.attn.head0.q"));
        Assert.IsNull(graph.Find("blocks.1.attn.head1", "blocks.1.attn.head0.q"), "heads of one block read the stream before any of them writes");
        Assert.IsNull(graph.Find("blocks.1.mlp", "blocks.1.mlp"));
        var order = graph.Receivers.Select((r, i) => (r, i)).ToDictionary(x => x.r, x => x.i);
        for (var e = 1; e < graph.Edges.Count; e++)
            Assert.IsTrue(order[graph.Edges[e - 1].Receiver] <= order[graph.Edges[e].Receiver], "grouped by receiver in forward order");
    }

    [TestMethod]
    public void AReportRoundTripsThroughItsJsonAndHasItsArea()
    {
        var edges = new List<ScoredEdge> { new("blocks.0.mlp", "logits", 2.5), new("embed[pos=0]", "blocks.0.attn.head0.v", 0.125) };
        var report = new CircuitReport(CircuitMethod.EapIg, CircuitMetric.Loss, Corruption.Mean, 7, 9, 10, 0.1, 2.1,
        [
            new FoundCircuit(0.01, 10, edges, 0.1, 1, 0.5),
            new FoundCircuit(0.1, 10, edges.Take(1).ToList(), double.NaN, double.NaN, 0.25),
        ]);
        var folder = Path.Combine(Path.GetTempPath(), $"circuit-json-{Guid.NewGuid():N}");
        var path = Path.Combine(folder, "c.json");
        CircuitJson.Write(path, report, "m.onnx");
        Assert.AreEqual(1, Directory.GetFiles(folder).Length, "no temporary file left");
        var (model, read) = CircuitJson.Read(path);
        Assert.AreEqual("m.onnx", model);
        Assert.AreEqual(report with { Circuits = [] }, read with { Circuits = [] });
        for (var i = 0; i < 2; i++)
        {
            Assert.AreEqual(report.Circuits[i] with { Edges = [] }, read.Circuits[i] with { Edges = [] });
            CollectionAssert.AreEqual(report.Circuits[i].Edges.ToArray(), read.Circuits[i].Edges.ToArray());
        }
        StringAssert.Contains(File.ReadAllText(path), "\"metric_recovered\": 1,");
        Directory.Delete(folder, recursive: true);

        // (0, 0) – (0.2, 1) – (1, 1): 0.1 + 0.8. A NaN point makes the area NaN.
        Assert.AreEqual(0.9, (report with { Circuits = report.Circuits.Take(1).Select(c => c with { Edges = edges }).ToList() }).Area, 1e-12);
        Assert.IsTrue(double.IsNaN(report.Area));
        Assert.AreEqual(0.5, (report with { Circuits = [] }).Area, 1e-12);
        Assert.AreEqual(0.75, FoundCircuit.Recovered(clean: 1, corrupted: 5, circuit: 2), 1e-12);
    }
}
