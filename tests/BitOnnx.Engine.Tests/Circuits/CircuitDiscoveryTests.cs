using BitOnnx.Core.Circuits;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Circuits;
using BitOnnx.Engine.Hooks;

namespace BitOnnx.Engine.Tests.Circuits;

/// <summary>
/// ACDC, EAP and EAP-IG find exactly the circuit planted in <see cref="PlantedCircuit"/> with resampled corruption,
/// and the planted circuit alone recovers the whole model; ACDC decides each edge as Conmy et al.'s algorithm does
/// when every candidate is a fresh run of the patched graph, to the bit, with its invariants (a kept edge moved the
/// metric by at least τ, a removed one by less, the final metric is the circuit's).
/// </summary>
[TestClass]
public sealed class CircuitDiscoveryTests
{
    private static EdgePatching Planted(Corruption corruption = Corruption.Resample) =>
        new(new HookedModel(PlantedCircuit.Config, PlantedCircuit.Parameters()), PlantedCircuit.Tokens, corruption, seed: 1);

    private static string[] Names(FoundCircuit circuit) => circuit.Edges.Select(e => $"{e.Sender} -> {e.Receiver}").Order(StringComparer.Ordinal).ToArray();

    [TestMethod]
    public void ThePlantedModelAddsAndItsCircuitAloneIsTheWholeModel()
    {
        var patching = Planted();
        var logits = patching.Clean.Logits;
        var targets = patching.Targets;
        for (var r = 0; r < patching.Rows; r++)
            Assert.AreEqual(targets[r], Enumerable.Range(0, 3).MaxBy(c => logits[r * 3 + c]), $"row {r}");
        var kept = PlantedCircuit.Edges.Select(name => patching.Graph.Edges.Single(e => e.Name == name)).ToList();
        var metric = patching.Metric(CircuitMetric.KlDivergence);
        Assert.AreEqual(0.0, patching.MetricOfCircuit(metric, kept), "the planted edges alone give the clean logits, to the bit");
        foreach (var edge in kept)
            Assert.IsTrue(patching.MetricOfCircuit(metric, kept.Where(e => e != edge).ToList()) > 0.1, $"without {edge} the model is lost");
    }

    [TestMethod]
    public void AcdcEapAndEapIgRecoverExactlyThePlantedEdges()
    {
        var patching = Planted();
        var expected = PlantedCircuit.Edges.Order(StringComparer.Ordinal).ToArray();
        foreach (var (method, metric) in new[]
        {
            (CircuitMethod.Acdc, CircuitMetric.KlDivergence), (CircuitMethod.Acdc, CircuitMetric.Loss), (CircuitMethod.Eap, CircuitMetric.Loss),
            (CircuitMethod.EapIg, CircuitMetric.KlDivergence), (CircuitMethod.EapIg, CircuitMetric.Loss),
        })
        {
            var report = CircuitSearch.Run(patching, method, metric, [1e-4, 1e-2]);
            foreach (var circuit in report.Circuits)
            {
                CollectionAssert.AreEqual(expected, Names(circuit), $"{method}, {metric}, τ = {circuit.Tau}: {string.Join("; ", Names(circuit))}");
                Assert.AreEqual(1.0, circuit.MetricRecovered, 1e-12, $"{method}, {metric}: the planted circuit recovers everything");
            }
            Assert.AreEqual(report.Circuits[0].EdgesTotal, patching.Graph.Edges.Count);
            Assert.IsTrue(report.MetricCorrupted > report.MetricClean + 0.1, $"{method}, {metric}: corrupting everything hurts");
            Assert.IsTrue(report.Area > 0.9, $"{method}, {metric}: 5 of {report.EdgesTotal} edges recover everything, area {report.Area}");
        }
    }

    [TestMethod]
    public void MeanAblationFindsThePlantedCircuitToo()
    {
        var circuit = CircuitSearch.Run(Planted(Corruption.Mean), CircuitMethod.Acdc, CircuitMetric.KlDivergence, [1e-3]).Circuits[0];
        CollectionAssert.AreEqual(PlantedCircuit.Edges.Order(StringComparer.Ordinal).ToArray(), Names(circuit));
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1, CircuitMetric.KlDivergence)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Binary, 2, CircuitMetric.Loss)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.None, 2, CircuitMetric.KlDivergence)]
    public void AcdcDecidesEveryEdgeAsTheAlgorithmWithFreshRunsDoes(string preset, WeightQuantization mode, int layers, CircuitMetric kind)
    {
        var k = new CircuitCase(preset, mode, layers);
        var metric = k.Patching.Metric(kind);
        var graph = k.Graph;
        // τ at the first quartile of the single-edge effects, so that ACDC keeps some edges and removes others.
        var effects = graph.Edges.Select(e => Math.Abs(k.Patching.MetricOfCircuit(metric, graph.Edges.Where(x => x != e).ToList()) - metric.Value(k.Patching.Clean.Logits)))
            .Where(x => x > 1e-6).Order().ToArray();
        var tau = effects[effects.Length / 4];
        var result = Acdc.Run(k.Patching, metric, tau);

        var kept = graph.Edges.Select(_ => true).ToArray();
        var current = metric.Value(k.Patching.Clean.Logits);
        var reaching = new HashSet<string> { "logits" };
        foreach (var receiver in graph.Receivers.Reverse())
            foreach (var edge in graph.Into(receiver).Reverse())
            {
                kept[edge.Index] = false;
                if (!reaching.Contains(receiver.Node)) continue;
                var value = k.Patching.MetricOfCircuit(metric, graph.Edges.Where(e => kept[e.Index]).ToList());
                Assert.AreEqual(value - current, result.Scores[edge.Index], $"{k}: {edge}'s move, to the bit");
                if (value - current < tau) current = value;
                else kept[edge.Index] = true;
                if (kept[edge.Index]) reaching.Add(edge.Sender.Name);
            }
        CollectionAssert.AreEqual(kept, result.Kept, $"{k}: the same edges kept");
        Assert.AreEqual(current, result.Metric);
        Assert.AreEqual(current, k.Patching.MetricOfCircuit(metric, graph.Edges.Where(e => result.Kept[e.Index]).ToList()), "the circuit's own metric");
        Assert.IsTrue(result.Kept.Count(x => x) > 0 && result.Kept.Count(x => !x) > 0, $"{k}: τ {tau} keeps some edges and removes others");
        foreach (var edge in graph.Edges.Where(e => !double.IsNaN(result.Scores[e.Index])))
            Assert.AreEqual(result.Kept[edge.Index], result.Scores[edge.Index] >= tau, $"{k}: {edge} kept exactly when it moved the metric by τ or more");
    }

    [TestMethod]
    public void BadSearchesSayWhatToDoInstead()
    {
        var patching = Planted();
        StringAssert.Contains(Assert.ThrowsException<CircuitException>(() => CircuitSearch.Run(patching, CircuitMethod.Acdc, CircuitMetric.Loss, [0.0])).Message, "positive");
        StringAssert.Contains(Assert.ThrowsException<CircuitException>(() => CircuitSearch.Run(patching, CircuitMethod.Eap, CircuitMetric.KlDivergence, [0.1])).Message, "eap-ig");
        Assert.ThrowsException<InterventionException>(() => new EdgePatching(new HookedModel(PlantedCircuit.Config, PlantedCircuit.Parameters()), [0, 1, 3], Corruption.Resample));
    }
}
