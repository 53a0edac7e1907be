using BitOnnx.Analysis.Interventions;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Interventions;

/// <summary>
/// Activation patching on ONNX Runtime: the clean and corrupted rows its partner rules make, the last block's neurons all
/// at once against each neuron written through the graph, and the metrics of the two runs it starts from.
/// </summary>
[TestClass]
public sealed class ActivationPatchingTests
{
    private const int P = 11;

    private static ModelSession Session(string preset, WeightQuantization mode, out OnnxWeightSource weights)
    {
        var checkpoint = TestCheckpoints.Untrained(SmallConfigs.Interventions(preset, P, mode), seed: 9);
        var model = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Float, Probes = HookSelection.Every, Writable = HookSelection.Every }).Model;
        weights = new OnnxWeightSource(model);
        return ModelSession.FromModel(model, "m");
    }

    [TestMethod]
    [DataRow(PartnerRule.Random)]
    [DataRow(PartnerRule.NextA)]
    [DataRow(PartnerRule.NextB)]
    public void EveryPairGetsAPartnerWithAnotherAnswerByItsRule(PartnerRule rule)
    {
        var pairs = PatchingPairs.All(P, rule, seed: 3);
        Assert.AreEqual(P * P, pairs.Rows);
        for (var r = 0; r < pairs.Rows; r++)
        {
            int a = pairs.Clean[r] / P, b = pairs.Clean[r] % P, a2 = pairs.Corrupt[r] / P, b2 = pairs.Corrupt[r] % P;
            Assert.AreEqual(r, pairs.Clean[r]);
            Assert.AreEqual((a + b) % P, pairs.CleanAnswers[r]);
            Assert.AreEqual((a2 + b2) % P, pairs.CorruptAnswers[r]);
            Assert.AreNotEqual(pairs.CleanAnswers[r], pairs.CorruptAnswers[r], $"row {r}");
            if (rule == PartnerRule.NextA) Assert.AreEqual(((a + 1) % P, b), (a2, b2));
            if (rule == PartnerRule.NextB) Assert.AreEqual((a, (b + 1) % P), (a2, b2));
        }
        if (rule == PartnerRule.Random)
        {
            // Uniform over the other answers: every shift 1..P−1 of the answer turns up, and partners are not all one pair.
            var shifts = Enumerable.Range(0, pairs.Rows).Select(r => (pairs.CorruptAnswers[r] - pairs.CleanAnswers[r] + P) % P).ToHashSet();
            Assert.AreEqual(P - 1, shifts.Count);
            CollectionAssert.AreEqual(pairs.Corrupt.ToArray(), PatchingPairs.All(P, rule, seed: 3).Corrupt.ToArray(), "seeded");
            CollectionAssert.AreNotEqual(pairs.Corrupt.ToArray(), PatchingPairs.All(P, rule, seed: 4).Corrupt.ToArray());
        }
        var tokens = pairs.Tokens(corrupted: true);
        Assert.AreEqual(pairs.Corrupt[5] / P, tokens[15]);
        Assert.AreEqual(pairs.Corrupt[5] % P, tokens[16]);
        Assert.AreEqual(P, tokens[17]);
    }

    [TestMethod]
    [DataRow("li2024", WeightQuantization.Ternary, PatchingMetric.LogitDifference)]
    [DataRow("li2024", WeightQuantization.Binary, PatchingMetric.Loss)]
    [DataRow("nanda2023", WeightQuantization.None, PatchingMetric.LogitDifference)]
    public void AllNeuronsAtOnceEqualEveryNeuronPatchedThroughTheGraph(string preset, WeightQuantization mode, PatchingMetric metric)
    {
        using var session = Session(preset, mode, out var weights);
        float[] Weight(string name) => weights.TryGet(name, out var t) ? t.Data : throw new AssertFailedException(name);
        var pairs = PatchingPairs.All(P, PartnerRule.Random, seed: 1);
        var shortcut = ActivationPatching.Run(session, pairs, metric, [PatchingTarget.Neurons], Weight);
        var batched = ActivationPatching.Run(session, pairs, metric, [PatchingTarget.Neurons], weight: null);
        Assert.AreEqual(24, shortcut.Rows.Count);
        var byName = batched.Rows.ToDictionary(r => r.Node.Component);
        // Random weights make small effects: the bound is 1% of the largest, which must stand well clear of float32's rounding.
        var largest = batched.Rows.Max(r => Math.Abs(r.Effect));
        Assert.IsTrue(largest > 1e-4, $"some neuron matters ({largest:E2}), so a shortcut that changed nothing would fail");
        foreach (var row in shortcut.Rows)
            Assert.AreEqual(byName[row.Node.Component].Value, row.Value, 1e-2 * largest, row.Node.Component);
    }

    [TestMethod]
    public void TheTableStartsFromTheCleanAndCorruptedRunsMetrics()
    {
        using var session = Session("nanda2023", WeightQuantization.None, out _);
        var pairs = PatchingPairs.One(P, (2, 7), (4, 1));
        var table = ActivationPatching.Run(session, pairs, PatchingMetric.LogitDifference, [PatchingTarget.ResidPre, PatchingTarget.Z]);
        float[] Logits(long[] tokens) => session.Run(tokens)[HookNames.Logits].Data;
        var clean = Logits([2, 7, P]);
        var corrupt = Logits([4, 1, P]);
        // Answers 9 (clean) and 5 (corrupted).
        Assert.AreEqual((double)clean[9] - clean[5], table.Clean, 1e-12);
        Assert.AreEqual((double)corrupt[9] - corrupt[5], table.Corrupt, 1e-12);
        Assert.AreEqual(3 + 3 * 2, table.Rows.Count);
        foreach (var row in table.Rows)
        {
            Assert.AreEqual(row.Value - table.Corrupt, row.Effect, 1e-12);
            Assert.AreEqual(row.Effect / (table.Clean - table.Corrupt), row.Restored, 1e-12);
            Assert.IsNull(row.Attribution, "no gradients, no estimates");
        }
        for (var i = 1; i < table.Rows.Count; i++) Assert.IsTrue(table.Rows[i - 1].Effect >= table.Rows[i].Effect);
        Assert.IsNull(table.Correlation);
    }

    [TestMethod]
    public void PairsOutsideTheModelOrWithOneAnswerAreRefused()
    {
        Assert.ThrowsExactly<AnalysisInputException>(() => PatchingPairs.One(P, (2, 7), (9, 0)));
        Assert.ThrowsExactly<AnalysisInputException>(() => PatchingPairs.One(P, (2, P), (1, 0)));
        Assert.ThrowsExactly<AnalysisInputException>(() => PatchingPairs.One(P, (-1, 3), (1, 0)));
        using var session = Session("li2024", WeightQuantization.Binary, out _);
        var other = PatchingPairs.One(13, (1, 2), (1, 3));
        var e = Assert.ThrowsExactly<AnalysisInputException>(() => ActivationPatching.Run(session, other, PatchingMetric.Loss, [PatchingTarget.Z]));
        StringAssert.Contains(e.Message, "P = 13");
    }
}
