using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Circuits;
using BitOnnx.Engine.Tests.Hooks;

namespace BitOnnx.Engine.Tests.Circuits;

/// <summary>
/// Edge patching with each MLP split into any partition of its neurons (as by key frequency), not only contiguous
/// blocks: contiguous groups listed in another order give the contiguous grouping's logits with the masks permuted, to
/// the bit; a scattered partition (each neuron in a seeded random group, as frequencies scatter them) keeps every mask
/// clean the clean run and every mask corrupted the corrupted run, to the bit; corrupting every group's edge at once is
/// corrupting the whole MLP's edge; and each group's EAP scores add up to the whole MLP's.
/// </summary>
[TestClass]
public sealed class MlpPartitionTests
{
    private const int Neurons = 12;

    /// <summary>The tiny models' 12 neurons in 4 groups, each neuron's group a seeded draw, labelled like key frequencies (f=3, f=5, f=7, other).</summary>
    private static MlpPartition Scattered(int seed)
    {
        var random = new Random(seed);
        string[] labels = ["f=3", "f=5", "f=7", "other"];
        // Every group gets one neuron first, so none is empty; the rest go anywhere.
        var of = Enumerable.Range(0, Neurons).Select(n => n < labels.Length ? n : random.Next(labels.Length)).OrderBy(_ => random.Next()).ToArray();
        return MlpPartition.Of(Neurons, labels.Select((label, g) => new MlpGroup(label, Enumerable.Range(0, Neurons).Where(n => of[n] == g).ToArray())));
    }

    [TestMethod]
    public void APartitionMustHoldEveryNeuronOnceAndNamesItsNodesByLabel()
    {
        var config = TransformerConfig.Li2024 with { P = 5, DModel = 8, NHeads = 2, DHead = 4, DMlp = Neurons };
        var partition = Scattered(1);
        var graph = CircuitGraph.Of(config, partition);
        Assert.IsFalse(partition.IsContiguous);
        Assert.IsNotNull(graph.Find("blocks.0.mlp[f=5]", "logits"));
        Assert.IsNotNull(graph.Find("blocks.0.attn.head1", "blocks.0.mlp[other]"));
        Assert.AreEqual(14 + 4 * 3 + 7, graph.Edges.Count, "li2024, 2 heads: heads' 14; each group ← embed[2] + 2 heads; logits ← embed[2] + 2 heads + 4 groups");
        CollectionAssert.AreEqual(Enumerable.Range(0, Neurons).ToArray(), Enumerable.Range(0, 4).SelectMany(g => graph.MlpNeurons(g)).Order().ToArray());
        Assert.IsTrue(MlpPartition.Of(Neurons, MlpPartition.Contiguous(Neurons, 5).Groups).IsContiguous, "the contiguous split given as a list is the contiguous split");
        Assert.ThrowsExactly<CircuitException>(() => MlpPartition.Of(Neurons, [new MlpGroup("a", Enumerable.Range(0, 11).ToArray())]), "neuron 11 in no group");
        Assert.ThrowsExactly<CircuitException>(() => MlpPartition.Of(Neurons, [new MlpGroup("a", Enumerable.Range(0, 12).ToArray()), new MlpGroup("b", [3])]), "neuron 3 twice");
        Assert.ThrowsExactly<CircuitException>(() => MlpPartition.Of(Neurons, [new MlpGroup("a", Enumerable.Range(0, 6).ToArray()), new MlpGroup("a", Enumerable.Range(6, 6).ToArray())]), "a label twice");
        Assert.ThrowsExactly<CircuitException>(() => CircuitGraph.Of(config with { DMlp = 16 }, partition), "a partition of another MLP");
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 2)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 2)]
    public void ContiguousGroupsInAnotherOrderGiveTheContiguousLogitsWithTheMasksPermuted(string preset, WeightQuantization mode, int layers)
    {
        var hooks = new HookCase(preset, mode, layers);
        var contiguous = MlpPartition.Contiguous(Neurons, 4);
        int[] order = [2, 0, 3, 1];
        var permuted = MlpPartition.Of(Neurons, order.Select(g => new MlpGroup($"block{g}", contiguous.Groups[g].Neurons)));
        var a = new EdgePatching(hooks.Model, hooks.Tokens, Corruption.Resample, contiguous, seed: 4);
        var b = new EdgePatching(hooks.Model, hooks.Tokens, Corruption.Resample, permuted, seed: 4);
        // blocks.0.mlp[group=g] is blocks.0.mlp[block{g}]: the same neurons, another place in the graph's order.
        string Rename(string name) => name.Replace("[group=", "[block", StringComparison.Ordinal);
        var twin = a.Graph.Edges.Select(e => b.Graph.Find(Rename(e.Sender.Name), Rename(e.Receiver.Name))!).ToArray();
        Assert.IsTrue(twin.All(e => e is not null) && twin.Select(e => e.Index).Distinct().Count() == b.Graph.Edges.Count, "one edge for each");
        Assert.IsTrue(twin.Select((e, i) => e.Index != i).Any(x => x), "the graphs list the groups in another order");
        var random = new Random(11);
        var (runA, runB) = (a.NewRun(), b.NewRun());
        for (var trial = 0; trial < 8; trial++)
        {
            foreach (var edge in a.Graph.Edges)
            {
                var alpha = trial < 5 ? random.Next(2) : (float)(random.NextDouble() * 2 - 0.5);
                runA[edge] = alpha;
                runB[twin[edge.Index]] = alpha;
            }
            HookAssert.BitEqual(runA.Logits(), runB.Logits(), $"{hooks}: mask {trial}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void ScatteredGroupsKeepEveryMaskCleanTheCleanRunAndEveryMaskCorruptedTheCorruptedRun(string preset, WeightQuantization mode, int layers)
    {
        var hooks = new HookCase(preset, mode, layers);
        var split = new EdgePatching(hooks.Model, hooks.Tokens, Corruption.Resample, Scattered(2), seed: 4);
        HookAssert.BitEqual(split.Clean.Logits, split.NewRun(0).Logits(), $"{hooks}: every mask clean");
        HookAssert.BitEqual(hooks.Model.Run(split.CorruptTokens!).Logits, split.NewRun(1).Logits(), $"{hooks}: every mask corrupted");
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1, Corruption.Resample)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 2, Corruption.Mean)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 2, Corruption.Resample)]
    public void EveryScatteredGroupsEdgeCorruptedIsTheWholeMlpsEdgeCorrupted(string preset, WeightQuantization mode, int layers, Corruption corruption)
    {
        var hooks = new HookCase(preset, mode, layers);
        var whole = new EdgePatching(hooks.Model, hooks.Tokens, corruption, seed: 4);
        var split = new EdgePatching(hooks.Model, hooks.Tokens, corruption, Scattered(3), seed: 4);
        var moving = 0;
        foreach (var edge in whole.Graph.Edges.Where(e => e.Sender.Kind == SenderKind.Mlp || e.Receiver.Kind == ReceiverKind.Mlp))
        {
            var one = whole.NewRun(0);
            one[edge] = 1;
            var expected = one.Logits();
            var parts = Parts(split.Graph, edge);
            Assert.AreEqual((edge.Sender.Kind == SenderKind.Mlp ? 4 : 1) * (edge.Receiver.Kind == ReceiverKind.Mlp ? 4 : 1), parts.Count, $"{edge}: one edge per group");
            var many = split.NewRun(0);
            foreach (var part in parts) many[part] = 1;
            var actual = many.Logits();
            // The whole MLP's corrupted output is its corrupted activations through W_out in one product, as the groups' is.
            if (corruption == Corruption.Resample) HookAssert.BitEqual(expected, actual, $"{hooks}: {edge} as {parts.Count} edges");
            else
                for (var i = 0; i < expected.Length; i++)
                    Assert.AreEqual(expected[i], actual[i], 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"{hooks}: {edge} as {parts.Count} edges, logit {i}");
            if (expected.Zip(whole.Clean.Logits).Any(x => Math.Abs(x.First - x.Second) > 1e-3)) moving++;
        }
        Assert.IsTrue(moving > 0, $"{hooks}: some MLP edge moves the logits");
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 2)]
    public void EachScatteredGroupsEapScoresAddUpToTheWholeMlps(string preset, WeightQuantization mode, int layers)
    {
        var hooks = new HookCase(preset, mode, layers);
        var whole = new EdgePatching(hooks.Model, hooks.Tokens, Corruption.Resample, seed: 4);
        var split = new EdgePatching(hooks.Model, hooks.Tokens, Corruption.Resample, Scattered(5), seed: 4);
        var wholeScores = EdgeAttribution.Eap(whole, whole.Metric(CircuitMetric.Loss));
        var splitScores = EdgeAttribution.Eap(split, split.Metric(CircuitMetric.Loss));
        var nonzero = 0;
        foreach (var edge in whole.Graph.Edges)
        {
            var sum = Parts(split.Graph, edge).Sum(e => splitScores[e.Index]);
            var scale = Math.Max(1e-3, Math.Abs(wholeScores[edge.Index]));
            Assert.AreEqual(wholeScores[edge.Index], sum, 1e-4 * scale + 1e-7, $"{hooks}: {edge}");
            if (edge.Sender.Kind == SenderKind.Mlp && Math.Abs(sum) > 1e-4) nonzero++;
        }
        Assert.IsTrue(nonzero > 0, $"{hooks}: some MLP edge scores");
    }

    /// <summary>The edges of <paramref name="split"/> that together are <paramref name="edge"/> of the graph with whole MLPs.</summary>
    private static List<CircuitEdge> Parts(CircuitGraph split, CircuitEdge edge) =>
        split.Edges.Where(e => Whole(e.Sender.Name) == edge.Sender.Name && Whole(e.Receiver.Name) == edge.Receiver.Name).ToList();

    /// <summary>blocks.0.mlp[f=5] → blocks.0.mlp; any other name as it is.</summary>
    private static string Whole(string name) => name.StartsWith("blocks.", StringComparison.Ordinal) && name.Contains(".mlp[", StringComparison.Ordinal)
        ? name[..name.IndexOf('[', StringComparison.Ordinal)] : name;
}
