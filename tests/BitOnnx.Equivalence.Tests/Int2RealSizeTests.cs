using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;
using BitOnnx.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Equivalence.Tests;

/// <summary>
/// The 2-bit formats at the sizes users export: li2024 at P = 113 with its default sizes (d_model 128, d_mlp 512: K = 128
/// and K = 512, so 1 and 4 blocks of 128 per column), sizes that pad (K = 40: one block of 64; K = 72: three blocks of
/// 32), and K = 1152 (9 blocks, 3-byte zero points). Initialized, untrained weights: the codes are as varied as a trained
/// model's, and no training time is spent. int2-exact must equal the engine; int2 and int2-native round activations to
/// 8 bits and must stay within the tolerance `bitonnx verify` states for them, which is relative to the logits. That
/// holds for ternary models and for trained ones, not for untrained binary ones: their unscaled ±1 weights make
/// activations in the hundreds that cancel into logits near 2, so a rounding of 1/255 of the activations is a large part
/// of the logits (ExportEquivalenceTests and the shipped models cover trained binary models).
/// </summary>
[TestClass]
public sealed class Int2RealSizeTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var format in new[] { WeightFormat.Int2Exact, WeightFormat.Int2, WeightFormat.Int2Native })
        {
            if (format == WeightFormat.Int2Exact)
            {
                yield return [format, WeightQuantization.Binary, 128, 4, 32, 512];
                yield return [format, WeightQuantization.Binary, 32, 2, 16, 1152];
            }
            yield return [format, WeightQuantization.Ternary, 128, 4, 32, 512];
            yield return [format, WeightQuantization.Ternary, 40, 4, 10, 72];
            yield return [format, WeightQuantization.Ternary, 32, 2, 16, 1152];
        }
    }

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataSourceType.Method)]
    public void TwoBitExportMatchesTheEngineOnEveryPairAndProbe(WeightFormat format, WeightQuantization mode, int dModel, int nHeads, int dHead, int dMlp)
    {
        var config = TransformerConfig.Li2024 with { P = 113, DModel = dModel, NHeads = nHeads, DHead = dHead, DMlp = dMlp, Quantization = mode };
        var checkpoint = TestCheckpoints.WithParameters(config, ParameterInitializer.Initialize(config, seed: 3), seed: 0);
        var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format, Probes = HookSelection.Every });

        var packed = export.Model.Graph.Initializer.Where(t => t.Name.EndsWith(".nbits", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(6, packed.Length, "W_Q, W_K, W_V, W_O, W_in, W_out in 2 bits");
        foreach (var node in export.Model.Graph.Node.Where(n => n.OpType == "MatMulNBits"))
        {
            long k = node.Attribute.Single(a => a.Name == "K").I, n = node.Attribute.Single(a => a.Name == "N").I;
            long blockSize = node.Attribute.Single(a => a.Name == "block_size").I;
            Assert.AreEqual(4, node.Attribute.Single(a => a.Name == "accuracy_level").I, $"{node.Name}: int8 activations, the only level with 2-bit kernels");
            CollectionAssert.Contains(new long[] { 32, 64, 128 }, blockSize, $"{node.Name}: a block length ONNX Runtime has 2-bit kernels for");
            long blocks = (k + blockSize - 1) / blockSize;
            Assert.IsTrue(blocks * blockSize - k < 32, $"{node.Name}: K = {k} padded to {blocks * blockSize}, less than one block of 32");
            Assert.AreEqual(n * ((blocks * 2 + 7) / 8), export.Model.GetInitializer(node.Input[3]).Dims.Single(), $"{node.Name}: packed zero points, {blocks} blocks per column");
        }
        Assert.AreEqual(format == WeightFormat.Int2Native ? 6 : 0, export.Model.Graph.Node.Count(n => n.OpType == "MatMulNBits"));

        using var session = ModelSession.FromModel(export.Model, $"li2024-{mode}-{dModel}-{format}", new ModelSessionOptions { Threads = 2, OptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });
        var report = EngineVerification.Run(checkpoint, session, ExportVerification.ToleranceFor(session.Metadata), threads: 2);

        Assert.AreEqual(113 * 113, report.Pairs);
        Assert.AreEqual(HookNames.For(config, 1).Count, report.Outputs.Count, "every hook is compared");
        foreach (var output in report.Outputs)
            Assert.IsTrue(output.Passed, $"{output.Name}: max |Δ| = {output.MaxAbsDifference:E2} above {output.Bound:E2} ({mode}, d_model {dModel}, {format})");
        if (format == WeightFormat.Int2Exact) Assert.AreEqual(0, report.PredictionMismatches);
    }
}
