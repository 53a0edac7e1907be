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
/// Ablation tables on ONNX Runtime: the last block's neurons evaluated all at once (the rank-1 shortcut) against the
/// batched writes of every neuron through the graph, and the shortcut against its own double-precision reference.
/// </summary>
[TestClass]
public sealed class AblationTableTests
{
    private static ModelSession Session(string preset, WeightQuantization mode, out OnnxWeightSource weights)
    {
        var checkpoint = TestCheckpoints.Untrained(SmallConfigs.Interventions(preset, 11, mode), seed: 5);
        var model = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = mode == WeightQuantization.None ? WeightFormat.Float : WeightFormat.Int8, Probes = HookSelection.Every, Writable = HookSelection.Every }).Model;
        weights = new OnnxWeightSource(model);
        return ModelSession.FromModel(model, "m");
    }

    [TestMethod]
    [DataRow("li2024", WeightQuantization.Binary, InterventionKind.Mean)]
    [DataRow("li2024", WeightQuantization.Ternary, InterventionKind.Zero)]
    [DataRow("nanda2023", WeightQuantization.None, InterventionKind.Resample)]
    public void AllNeuronsAtOnceEqualEveryNeuronWrittenThroughTheGraph(string preset, WeightQuantization mode, InterventionKind kind)
    {
        using var session = Session(preset, mode, out var weights);
        float[] Weight(string name) => weights.TryGet(name, out var t) ? t.Data : throw new AssertFailedException(name);
        var shortcut = AblationTable.Run(session, [AblationTarget.Neurons], kind, Weight, seed: 2);
        var batched = AblationTable.Run(session, [AblationTarget.Neurons], kind, weight: null, seed: 2);
        Assert.AreEqual(24, shortcut.Rows.Count);
        Assert.AreEqual(batched.None, shortcut.None);
        var byName = batched.Rows.ToDictionary(r => r.Component);
        foreach (var row in shortcut.Rows)
        {
            var expected = byName[row.Component];
            Assert.AreEqual(expected.Loss, row.Loss, 1e-5 * Math.Max(1, expected.Loss), row.Component);
            Assert.AreEqual(expected.Accuracy, row.Accuracy, 1.5 / 121, $"{row.Component}: at most a near-tie row apart");
        }
    }

    [TestMethod]
    public void TheShortcutEqualsWrittenForwardsInDouble()
    {
        var random = new Random(7);
        float[] Draw(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        const int rows = 9, d = 6, m = 5, p = 7;
        foreach (var gain in new[] { Draw(d, 1.5), null })
        {
            var inputs = new LastBlockNeurons.Inputs(p, Draw(rows * d, 2), Draw(rows * m, 1), Draw(m * d, 1), Draw(d * p, 1), gain,
                Enumerable.Range(0, rows).Select(r => r % p).ToArray());
            var replacement = Draw(rows * m, 1);
            var (loss, accuracy) = LastBlockNeurons.Evaluate(inputs, replacement, threads: 2);
            var (expectedLoss, expectedAccuracy) = LastBlockNeurons.Reference(inputs, replacement);
            for (var n = 0; n < m; n++)
            {
                Assert.AreEqual(expectedLoss[n], loss[n], 1e-5, $"neuron {n}, norm {gain is not null}");
                Assert.AreEqual(expectedAccuracy[n], accuracy[n], $"neuron {n}");
            }
        }
    }

    [TestMethod]
    public void TheTableStartsFromTheCleanModelAndSortsByEffect()
    {
        using var session = Session("nanda2023", WeightQuantization.Ternary, out _);
        var table = AblationTable.Run(session, [AblationTarget.Heads, AblationTarget.Positions, AblationTarget.Mlp, AblationTarget.Attn], InterventionKind.Zero);
        CollectionAssert.AreEquivalent(new[]
        {
            "blocks.0.attn.hook_z[head=0]", "blocks.0.attn.hook_z[head=1]", "blocks.0.hook_resid_pre[pos=0]", "blocks.0.hook_resid_pre[pos=1]",
            "blocks.0.hook_resid_pre[pos=2]", "blocks.0.hook_mlp_out", "blocks.0.hook_attn_out",
        }, table.Rows.Select(r => r.Component).ToArray());
        var clean = session.Run(ModelSession.GridTokens(11))[HookNames.Logits].Data;
        Assert.AreEqual(BitOnnx.Core.Data.ModularAdditionLoss.Mean(clean, 11, Enumerable.Range(0, 121).ToArray()), table.None.Loss);
        for (var i = 1; i < table.Rows.Count; i++) Assert.IsTrue(table.Rows[i - 1].Effect >= table.Rows[i].Effect);
        foreach (var row in table.Rows) Assert.AreEqual(row.Loss - table.None.Loss, row.Effect, 1e-12);
    }
}
