using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;
using BitOnnx.TestSupport;

namespace BitOnnx.Onnx.Tests.Surgery;

/// <summary>
/// Writable hooks on ONNX Runtime against references that need no writes: the same export without them, a model with
/// W_out zeroed, the corrupted input's own run; and the graph surgery's round trip.
/// </summary>
[TestClass]
public sealed class WritableHooksTests
{
    private static ModelCheckpoint.Loaded Checkpoint(string preset, WeightQuantization mode, long seed = 3) =>
        TestCheckpoints.Untrained(SmallConfigs.Interventions(preset, 7, mode), seed);

    private static ModelSession Session(ModelCheckpoint.Loaded checkpoint, bool writable, WeightFormat format = WeightFormat.Float) =>
        ModelSession.FromModel(TransformerExporter.Export(checkpoint, new ExportOptions
        {
            Weights = format,
            Probes = HookSelection.Every,
            Writable = writable ? HookSelection.Every : HookSelection.None,
        }).Model, "m");

    private static long[] Grid(int p) => ModelSession.GridTokens(p);

    [TestMethod]
    [DataRow("li2024", WeightQuantization.None, WeightFormat.Float)]
    [DataRow("nanda2023", WeightQuantization.Ternary, WeightFormat.Int8)]
    [DataRow("li2024", WeightQuantization.Binary, WeightFormat.Int2)]
    public void WritingNothingGivesTheExportWithoutWritableHooksBitForBit(string preset, WeightQuantization mode, WeightFormat format)
    {
        var checkpoint = Checkpoint(preset, mode);
        using var plain = Session(checkpoint, writable: false, format);
        using var writable = Session(checkpoint, writable: true, format);
        var names = plain.OutputNames;
        var expected = plain.Run(Grid(7), names);
        // No writes through the graph with writable hooks (every mask its initializer's false), and the clean path.
        foreach (var actual in new[] { writable.Run(Grid(7), [], names), writable.Run(Grid(7), names) })
            foreach (var name in names)
                CollectionAssert.AreEqual(expected[name].Data, actual[name].Data, $"{preset} {mode} {format}: {name}");
    }

    [TestMethod]
    public void StrippingTheWritableHooksGivesTheExportWithoutThem()
    {
        var checkpoint = Checkpoint("nanda2023", WeightQuantization.Binary);
        var with = TransformerExporter.Export(checkpoint, new ExportOptions { Probes = HookSelection.Every, Writable = HookSelection.Every }).Model;
        var without = TransformerExporter.Export(checkpoint, new ExportOptions { Probes = HookSelection.Every }).Model;
        Assert.IsTrue(WritableHooks.Of(with).Count > 0);
        Assert.AreEqual(without.Graph, WritableHooks.Strip(with).Graph, "node for node, initializer for initializer");
    }

    [TestMethod]
    public void PatchingTheResidualStreamFromACorruptedInputGivesItsLogitsExactly()
    {
        var checkpoint = Checkpoint("nanda2023", WeightQuantization.Ternary);
        using var session = Session(checkpoint, writable: true);
        long[] clean = [1, 2, 7, 3, 3, 7];
        long[] corrupt = [4, 0, 7, 6, 5, 7];
        var cache = session.Run(corrupt, [HookNames.ResidPre(0), HookNames.Logits]);
        var writes = session.Resolve(clean, [Intervention.Patch(HookNames.ResidPre(0), cache[HookNames.ResidPre(0)].Data)]);
        CollectionAssert.AreEqual(cache[HookNames.Logits].Data, session.Run(clean, writes)[HookNames.Logits].Data);
    }

    [TestMethod]
    public void ZeroAblatingTheMlpOutputIsTheModelWithoutItsMlp()
    {
        var checkpoint = Checkpoint("li2024", WeightQuantization.None);
        using var session = Session(checkpoint, writable: true);
        var withoutMlp = checkpoint.Parameters.Clone();
        withoutMlp[ParameterNames.MlpOut(0)].Clear();
        using var reference = Session(checkpoint with { Parameters = withoutMlp }, writable: false);
        var ablated = session.Run(Grid(7), session.Resolve(Grid(7), [Intervention.Zero(HookNames.MlpOut(0))]))[HookNames.Logits].Data;
        var expected = reference.Run(Grid(7))[HookNames.Logits].Data;
        for (var i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], ablated[i], 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"logit {i}");
    }

    [TestMethod]
    public void StackedVariantsEqualEachVariantRunAlone()
    {
        var checkpoint = Checkpoint("li2024", WeightQuantization.Binary);
        using var session = ModelSession.FromModel(TransformerExporter.Export(checkpoint, new ExportOptions { Probes = HookSelection.Every, Writable = HookSelection.Every }).Model,
            "m", new ModelSessionOptions { BatchSize = 20 });
        var tokens = Grid(7);
        var variants = Enumerable.Range(0, 5).Select(h => session.Resolve(tokens, [Intervention.Mean(HookNames.MlpPost(0), new HookIndex(Neuron: 3 * h))]))
            .Append(session.Resolve(tokens, [Intervention.Zero(HookNames.Z(0), new HookIndex(Head: 1))])).ToList();
        var stacked = session.Run(tokens, variants, [HookNames.Logits]);
        for (var v = 0; v < variants.Count; v++)
            CollectionAssert.AreEqual(session.Run(tokens, variants[v])[HookNames.Logits].Data, stacked[v][HookNames.Logits].Data, $"variant {v}");
    }

    [TestMethod]
    public void BadWritesAreOneLineNamingWhatTheModelHas()
    {
        var checkpoint = Checkpoint("li2024", WeightQuantization.None);
        using var plain = Session(checkpoint, writable: false);
        using var writable = Session(checkpoint, writable: true);
        long[] tokens = [1, 2, 7];
        void Refused(Action act, string says)
        {
            var e = Assert.ThrowsException<InterventionException>(act);
            StringAssert.Contains(e.Message, says);
            Assert.IsFalse(e.Message.Contains('\n'));
        }
        Refused(() => plain.Resolve(tokens, [Intervention.Zero(HookNames.MlpOut(0))]), "was exported without writable hooks");
        Refused(() => writable.Resolve(tokens, [Intervention.Zero("blocks.1.hook_mlp_out")]), "cannot write 'blocks.1.hook_mlp_out': its writable hooks are hook_embed");
        Refused(() => writable.Resolve(tokens, [Intervention.Zero(HookNames.Z(0), new HookIndex(Head: 5))]), "head 5 is out of range for hook 'blocks.0.attn.hook_z': it has 2");
        Refused(() => writable.Resolve(tokens, [Intervention.Patch(HookNames.MlpPost(0), new float[5])]), "5 values do not fit the hook");
    }
}
