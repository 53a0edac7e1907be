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
/// int2 (com.microsoft MatMulNBits, blocks of 16 to 128 rows) at the sizes users export: li2024 at P = 113 with its
/// default sizes (d_model 128, d_mlp 512: K = 128 and K = 512, so 1 and 4 blocks of 128 per column), a size that pads
/// (K = 40 and 72: blocks of 64 and 128, partly padding), and K = 1152 (9 blocks, 3-byte zero points). Initialized, untrained weights: the
/// codes are as varied as a trained model's, and no training time is spent.
/// </summary>
[TestClass]
public sealed class Int2RealSizeTests
{
    [TestMethod]
    [DataRow(WeightQuantization.Binary, 128, 4, 32, 512)]
    [DataRow(WeightQuantization.Ternary, 128, 4, 32, 512)]
    [DataRow(WeightQuantization.Ternary, 40, 4, 10, 72)]
    [DataRow(WeightQuantization.Binary, 32, 2, 16, 1152)]
    public void Int2ExportMatchesTheEngineOnEveryPairAndProbe(WeightQuantization mode, int dModel, int nHeads, int dHead, int dMlp)
    {
        var config = TransformerConfig.Li2024 with { P = 113, DModel = dModel, NHeads = nHeads, DHead = dHead, DMlp = dMlp, Quantization = mode };
        var checkpoint = TestCheckpoints.WithParameters(config, ParameterInitializer.Initialize(config, seed: 3), seed: 0);
        var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Int2, Probes = HookSelection.Every });

        var nbits = export.Model.Graph.Node.Where(n => n.OpType == "MatMulNBits").ToArray();
        var ks = nbits.Select(n => n.Attribute.Single(a => a.Name == "K").I).Distinct().Order().ToArray();
        CollectionAssert.AreEqual(new long[] { dModel, dMlp }, ks, "the K of the linears");
        foreach (var node in nbits)
        {
            long k = node.Attribute.Single(a => a.Name == "K").I, n = node.Attribute.Single(a => a.Name == "N").I;
            long blockSize = node.Attribute.Single(a => a.Name == "block_size").I;
            Assert.AreEqual(Math.Min(128, Math.Max(16, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)k))), blockSize, $"{node.Name}: block size");
            long blocks = (k + blockSize - 1) / blockSize;
            Assert.AreEqual(n * ((blocks * 2 + 7) / 8), export.Model.GetInitializer(node.Input[3]).Dims.Single(), $"{node.Name}: packed zero points, {blocks} blocks per column");
        }

        using var session = ModelSession.FromModel(export.Model, $"li2024-{mode}-{dModel}", new ModelSessionOptions { Threads = 2, OptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });
        var report = EngineVerification.Run(checkpoint, session, ExportVerification.DefaultTolerance, threads: 2);

        Assert.AreEqual(113 * 113, report.Pairs);
        Assert.AreEqual(HookNames.For(config, 1).Count, report.Outputs.Count, "every hook is compared");
        foreach (var output in report.Outputs)
            Assert.IsTrue(output.Passed, $"{output.Name}: max |Δ| = {output.MaxAbsDifference:E2} above {output.Bound:E2} ({mode}, d_model {dModel})");
        Assert.AreEqual(0, report.PredictionMismatches);
    }
}
