using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Circuits;
using BitOnnx.Engine.Tests.Hooks;

namespace BitOnnx.Engine.Tests.Circuits;

/// <summary>
/// Edge patching with each MLP split into groups of neurons (12 neurons in 5 groups of 2, 2, 3, 2 and 3): every mask
/// clean is the hooked model's clean run and every mask corrupted its resampled run, to the bit; corrupting every
/// group's edge at once is corrupting the whole MLP's edge in the graph of one MLP node (whose patching
/// EdgePatchingTests holds against the double reference), to the bit; and each group's EAP scores add up to the whole
/// MLP's, EAP being linear in the sender's output and in the receiver's input gradient.
/// </summary>
[TestClass]
public sealed class MlpGroupTests
{
    private const int Groups = 5;

    private static (HookCase Hooks, EdgePatching Whole, EdgePatching Split) Case(string preset, WeightQuantization mode, int layers)
    {
        var hooks = new HookCase(preset, mode, layers);
        return (hooks, new EdgePatching(hooks.Model, hooks.Tokens, Corruption.Resample, seed: 4),
            new EdgePatching(hooks.Model, hooks.Tokens, Corruption.Resample, seed: 4, mlpGroups: Groups));
    }

    [TestMethod]
    public void TheGroupsSplitTheNeuronsIntoContiguousNearlyEqualBlocks()
    {
        var graph = CircuitGraph.Of(TransformerConfig.Li2024 with { P = 5, DModel = 8, NHeads = 2, DHead = 4, DMlp = 12 }, Groups);
        CollectionAssert.AreEqual(new[] { (0, 2), (2, 2), (4, 3), (7, 2), (9, 3) },
            Enumerable.Range(0, Groups).Select(g => (graph.MlpNeurons(g)[0], graph.MlpNeurons(g).Count)).ToArray());
        Assert.IsTrue(Enumerable.Range(0, Groups).All(g => graph.MlpNeurons(g).SequenceEqual(Enumerable.Range(graph.MlpNeurons(g)[0], graph.MlpNeurons(g).Count))), "contiguous");
        // li2024, 2 heads: the heads' 14 edges as before; each group ← embed[2] + 2 heads (5 × 3); logits ← embed[2] + 2 heads + 5 groups (8).
        Assert.AreEqual(14 + 15 + 8, graph.Edges.Count);
        Assert.IsNotNull(graph.Find("blocks.0.mlp[group=4]", "logits"));
        Assert.IsNull(graph.Find("blocks.0.mlp[group=0]", "blocks.0.mlp[group=1]"), "the groups of one MLP read the stream before any of them writes");
        Assert.ThrowsExactly<CircuitException>(() => CircuitGraph.Of(graph.Config, 13));
    }

    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void EveryMaskCleanIsTheCleanRunAndEveryMaskCorruptedTheCorruptedRunToTheBit(string preset, WeightQuantization mode, int layers)
    {
        var (hooks, _, split) = Case(preset, mode, layers);
        var clean = split.Clean.Logits;
        var corrupted = hooks.Model.Run(split.CorruptTokens!).Logits;
        HookAssert.BitEqual(clean, split.NewRun(0).Logits(), $"{hooks}: every mask clean");
        HookAssert.BitEqual(corrupted, split.NewRun(1).Logits(), $"{hooks}: every mask corrupted");
        var run = split.NewRun(0);
        run.Logits();
        run.SetAll(1);
        HookAssert.BitEqual(corrupted, run.Logits(), $"{hooks}: clean, then every mask corrupted");
        run.SetAll(0);
        HookAssert.BitEqual(clean, run.Logits(), $"{hooks}: and back");
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 2)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 2)]
    public void EveryGroupsEdgeCorruptedIsTheWholeMlpsEdgeCorruptedToTheBit(string preset, WeightQuantization mode, int layers)
    {
        var (hooks, whole, split) = Case(preset, mode, layers);
        var moving = 0;
        foreach (var edge in whole.Graph.Edges.Where(e => e.Sender.Kind == SenderKind.Mlp || e.Receiver.Kind == ReceiverKind.Mlp))
        {
            var one = whole.NewRun(0);
            one[edge] = 1;
            var expected = one.Logits();
            var parts = split.Graph.Edges.Where(e => Unsplit(e.Sender.Name) == edge.Sender.Name && Unsplit(e.Receiver.Name) == edge.Receiver.Name).ToList();
            var expectedParts = (edge.Sender.Kind == SenderKind.Mlp ? Groups : 1) * (edge.Receiver.Kind == ReceiverKind.Mlp ? Groups : 1);
            Assert.AreEqual(expectedParts, parts.Count, $"{edge}: one edge per group (per pair of groups from one MLP to another)");
            var many = split.NewRun(0);
            foreach (var part in parts) many[part] = 1;
            HookAssert.BitEqual(expected, many.Logits(), $"{hooks}: {edge} as {parts.Count} edges");
            if (expected.Zip(whole.Clean.Logits).Any(x => Math.Abs(x.First - x.Second) > 1e-3)) moving++;
        }
        Assert.IsTrue(moving > 0, $"{hooks}: some MLP edge moves the logits");
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 2)]
    public void EachGroupsEapScoresAddUpToTheWholeMlps(string preset, WeightQuantization mode, int layers)
    {
        var (hooks, whole, split) = Case(preset, mode, layers);
        var wholeScores = EdgeAttribution.Eap(whole, whole.Metric(CircuitMetric.Loss));
        var splitScores = EdgeAttribution.Eap(split, split.Metric(CircuitMetric.Loss));
        foreach (var edge in whole.Graph.Edges)
        {
            var sum = split.Graph.Edges.Where(e => Unsplit(e.Sender.Name) == edge.Sender.Name && Unsplit(e.Receiver.Name) == edge.Receiver.Name).Sum(e => splitScores[e.Index]);
            var scale = Math.Max(1e-3, Math.Abs(wholeScores[edge.Index]));
            Assert.AreEqual(wholeScores[edge.Index], sum, 1e-4 * scale + 1e-7, $"{hooks}: {edge}");
        }
    }

    /// <summary>blocks.0.mlp[group=3] → blocks.0.mlp; any other name as it is.</summary>
    private static string Unsplit(string name) => name.Contains("[group=", StringComparison.Ordinal) ? name[..name.IndexOf('[', StringComparison.Ordinal)] : name;
}
