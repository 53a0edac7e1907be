using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;
using BitOnnx.TestSupport;

namespace BitOnnx.Onnx.Tests.Surgery;

/// <summary>
/// A token model cut at <c>hook_embed</c> (<see cref="EmbeddedInputSurgery"/>) and promoted to float64
/// (<see cref="DoublePrecisionRewrite"/>) against the token model's own run: fed its <c>hook_embed</c>, the cut model
/// gives its logits, and the float64 graph gives those of a float export of the same folded weights.
/// </summary>
[TestClass]
public sealed class EmbeddedInputSurgeryTests
{
    private const int P = 7;

    private static ModelCheckpoint.Loaded Checkpoint(string preset, WeightQuantization mode) =>
        TestCheckpoints.Untrained(SmallConfigs.Interventions(preset, P, mode), seed: 9);

    private static OnnxModel Export(ModelCheckpoint.Loaded checkpoint, WeightFormat format, HookSelection probes) =>
        TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format, Probes = probes }).Model;

    /// <summary>hook_embed and logits of every pair from the token model.</summary>
    private static (double[] Embedded, float[] Logits) Reference(OnnxModel model)
    {
        using var session = ModelSession.FromModel(model, "tokens");
        var run = session.Run(ModelSession.GridTokens(P), [HookNames.Embed, HookNames.Logits]);
        return (Array.ConvertAll(run[HookNames.Embed].Data, v => (double)v), run[HookNames.Logits].Data);
    }

    private static void AssertClose(float[] expected, double[] actual, double relative, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        var magnitude = Math.Max(1, expected.Max(v => Math.Abs(v)));
        for (var i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], actual[i], relative * magnitude, $"logit {i} ({what})");
    }

    [TestMethod]
    [DataRow("li2024", WeightQuantization.Binary, WeightFormat.Float)]
    [DataRow("nanda2023", WeightQuantization.Ternary, WeightFormat.Int8)]
    [DataRow("li2024", WeightQuantization.Ternary, WeightFormat.Int2Exact)]
    public void TheCutModelFedHookEmbedGivesTheTokenModelsLogits(string preset, WeightQuantization mode, WeightFormat format)
    {
        var model = Export(Checkpoint(preset, mode), format, HookSelection.Every);
        var (embedded, logits) = Reference(model);

        var cut = EmbeddedInputSurgery.Apply(model, "m", out var dModel);

        Assert.AreEqual(16, dModel);
        CollectionAssert.AreEqual(new[] { ModelContract.Embedded }, cut.Inputs.Select(i => i.Name).ToArray());
        CollectionAssert.AreEqual(new[] { HookNames.Logits }, cut.Outputs.Select(o => o.Name).ToArray());
        Assert.IsFalse(cut.Graph.Node.Any(n => n.Input.Contains(ModelContract.Tokens)), "tokens is gone");
        Assert.IsFalse(cut.Graph.Initializer.Any(t => t.Name.StartsWith(ParameterNames.Embed, StringComparison.Ordinal)), "W_E is gone with the Gather");
        Assert.AreEqual(ModelContract.Embedded, ExportMetadata.Read(cut, "m").Input);
        using var session = ModelSession.FromModel(cut, "cut");
        AssertClose(logits, session.RunEmbedded(embedded, P * P).Data, 1e-5, $"{preset} {mode} {format}");
    }

    [TestMethod]
    public void AModelThatComputesNoHookEmbedIsRefusedWithTheAlternative()
    {
        var proto = Export(Checkpoint("li2024", WeightQuantization.None), WeightFormat.Float, HookSelection.None).Proto.Clone();
        foreach (var node in proto.Graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++) if (node.Input[i] == HookNames.Embed) node.Input[i] = "embedding";
            for (var i = 0; i < node.Output.Count; i++) if (node.Output[i] == HookNames.Embed) node.Output[i] = "embedding";
        }
        var e = Assert.ThrowsException<ModelContractException>(() => EmbeddedInputSurgery.Apply(new OnnxModel(proto), "renamed", out _));
        StringAssert.Contains(e.Message, "no node producing 'hook_embed'");
        StringAssert.Contains(e.Message, "--embedded-input --double");
    }

    [TestMethod]
    [DataRow(WeightFormat.Float)]
    [DataRow(WeightFormat.Int8)]
    [DataRow(WeightFormat.Int2Exact)]
    [DataRow(WeightFormat.Int2Native)]
    public void TheFloat64RewriteComputesTheFloatExportsFunction(WeightFormat format)
    {
        var checkpoint = Checkpoint("li2024", WeightQuantization.Ternary);
        // The float export of the same folded weights: int2-native's own float run rounds its activations to 8 bits.
        var (embedded, logits) = Reference(Export(checkpoint, WeightFormat.Float, HookSelection.Of(HookNames.Embed)));
        var cut = EmbeddedInputSurgery.Apply(Export(checkpoint, format, HookSelection.Of(HookNames.Embed)), "m", out _);
        var folds = format switch
        {
            WeightFormat.Int8 => cut.Graph.Node.Any(n => n.OpType == "DequantizeLinear"),
            WeightFormat.Int2Exact => cut.Graph.Node.Any(n => n.Output.Any(o => o.EndsWith(NBitsCodes.UnpackedSuffix, StringComparison.Ordinal))),
            WeightFormat.Int2Native => cut.Graph.Node.Any(n => n.OpType == "MatMulNBits"),
            _ => true,
        };
        Assert.IsTrue(folds, $"{format}: the graph has the stored form the rewrite folds");

        var promoted = DoublePrecisionRewrite.TryApply(cut, out var reason);

        Assert.IsNotNull(promoted, reason);
        Assert.AreEqual(TensorElementType.Double, promoted.Inputs.Single().ElementType);
        Assert.IsFalse(promoted.Graph.Node.Any(n => n.OpType is "DequantizeLinear" or "MatMulNBits"), "quantized weights are folded into double initializers");
        Assert.IsFalse(promoted.Graph.Initializer.Any(t => OnnxTensor.ElementTypeOf(t) == TensorElementType.Float), "no float initializer is left");
        using var session = ModelSession.FromModel(promoted, "double");
        AssertClose(logits, session.RunEmbedded(embedded, P * P).Data, 1e-5, $"{format}");
    }

    [TestMethod]
    public void AGraphThatRoundsItsActivationsHasNoFloat64RewriteAndSaysWhy()
    {
        var cut = EmbeddedInputSurgery.Apply(Export(Checkpoint("li2024", WeightQuantization.Binary), WeightFormat.Int8Dynamic, HookSelection.Of(HookNames.Embed)), "m", out _);
        Assert.IsNull(DoublePrecisionRewrite.TryApply(cut, out var reason));
        StringAssert.Contains(reason, "DynamicQuantizeLinear");
    }
}
