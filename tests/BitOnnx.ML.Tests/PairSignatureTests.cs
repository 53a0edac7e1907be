using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BitOnnx.ML.Tests;

/// <summary>
/// The pair-signature graph on ONNX Runtime against the tokens graph of the same checkpoint (logits), against a double
/// softmax of those logits (Score) and their ArgMax (PredictedSum), for every pair of small models in each format.
/// </summary>
[TestClass]
public sealed class PairSignatureTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var preset in TransformerConfig.PresetNames)
            foreach (var (mode, format) in new[] { (WeightQuantization.None, WeightFormat.Float), (WeightQuantization.Binary, WeightFormat.Int8),
                     (WeightQuantization.Ternary, WeightFormat.Int2Exact), (WeightQuantization.Ternary, WeightFormat.Float) })
                foreach (var tables in new[] { false, true })
                    yield return [preset, mode, format, tables];
    }

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataSourceType.Method)]
    public void PairGraphEqualsTheTokensGraphAndItsSoftmax(string preset, WeightQuantization mode, WeightFormat format, bool tables)
    {
        foreach (var layers in new[] { 1, 2 })
        {
            var checkpoint = TestCheckpoints.Untrained(SmallConfigs.Width32(preset, mode, p: 11, layers: layers), seed: 3);
            var p = checkpoint.Config.P;
            var tokensLogits = RunTokens(checkpoint, format);
            var (score, predicted, logits) = RunPair(TransformerExporter.Export(checkpoint,
                new ExportOptions { Weights = format, Signature = GraphSignature.Pair, PrecomputedTables = tables }).Model.ToBytes(), p);
            var engine = EngineReference.Logits(checkpoint);
            // The house's bound (ExportVerification): 1e-4 · max(1, max |engine logit|); binary models carry large activations.
            var bound = 1e-4 * Math.Max(1, engine.Max(Math.Abs));
            for (var row = 0; row < p * p; row++)
            {
                var l = logits.AsSpan(row * p, p);
                var softmax = EngineReference.Softmax(l);
                var sum = 0.0;
                for (var k = 0; k < p; k++)
                {
                    Assert.AreEqual(tokensLogits[row * p + k], l[k], bound, $"logit {k} of row {row} ({preset} {mode} {format} tables={tables} layers={layers})");
                    Assert.AreEqual(engine[row * p + k], l[k], bound, $"engine logit {k} of row {row} ({preset} {mode} {format} tables={tables} layers={layers})");
                    Assert.AreEqual(softmax[k], score[row * p + k], 1e-6, $"Score {k} of row {row}");
                    sum += score[row * p + k];
                }
                Assert.AreEqual(1.0, sum, 1e-5, $"Score of row {row} sums to 1");
                Assert.AreEqual(EngineReference.ArgMax(l), (int)predicted[row], $"PredictedSum of row {row}");
            }
        }
    }

    [TestMethod]
    public void PrecomputedTablesReplaceTheWeightsTheyFold()
    {
        var checkpoint = TestCheckpoints.Untrained(SmallConfigs.Width32(TransformerConfig.Li2024Name, WeightQuantization.Binary), seed: 3);
        var graph = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Int8, PrecomputedTables = true }).Model;
        var initializers = graph.Initializers.Select(i => i.Name).ToHashSet();
        Assert.IsTrue(initializers.Contains("blocks.0.attn.hook_k.table"), "the key table is stored");
        Assert.IsFalse(initializers.Any(n => n.StartsWith("blocks.0.attn.W_K", StringComparison.Ordinal)), "W_K is folded into it, not stored");
        Assert.IsTrue(initializers.Contains("blocks.0.mlp.W_in.codes"), "the rest stays in the chosen format");
    }

    [TestMethod]
    public void PairSignatureRefusesEmbeddedInputAndTablesRefuseProbes()
    {
        var checkpoint = TestCheckpoints.Untrained(SmallConfigs.Width32(TransformerConfig.Li2024Name, WeightQuantization.None), seed: 3);
        Assert.ThrowsException<ExportException>(() => TransformerExporter.Export(checkpoint, new ExportOptions { Signature = GraphSignature.Pair, EmbeddedInput = true }));
        Assert.ThrowsException<ExportException>(() => TransformerExporter.Export(checkpoint, new ExportOptions { PrecomputedTables = true, Probes = HookSelection.Every }));
    }

    /// <summary>
    /// At extended optimisation ORT rewrites DequantizeLinear → MatMul into MatMulNBits, which drifts by up to ~1e-2
    /// (reference/packages.md); basic optimisation keeps it float-exact, so the two graphs can be compared closely.
    /// </summary>
    private static SessionOptions ExactOptions() => new() { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };

    private static float[] RunTokens(ModelCheckpoint.Loaded checkpoint, WeightFormat format)
    {
        var p = checkpoint.Config.P;
        using var options = ExactOptions();
        using var session = new InferenceSession(TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format }).Model.ToBytes(), options);
        var tokens = Array.ConvertAll(ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p)), t => (long)t);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("tokens", new DenseTensor<long>(tokens, [p * p, 3]))]);
        return results.First(r => r.Name == "logits").AsTensor<float>().ToArray();
    }

    /// <summary>Score, PredictedSum and logits of every pair, in one batched call.</summary>
    public static (float[] Score, long[] Predicted, float[] Logits) RunPair(byte[] model, int p)
    {
        using var options = ExactOptions();
        using var session = new InferenceSession(model, options);
        var a = new long[p * p];
        var b = new long[p * p];
        for (var r = 0; r < p * p; r++) (a[r], b[r]) = (r / p, r % p);
        using var results = session.Run([
            NamedOnnxValue.CreateFromTensor("A", new DenseTensor<long>(a, [p * p, 1])),
            NamedOnnxValue.CreateFromTensor("B", new DenseTensor<long>(b, [p * p, 1])),
        ]);
        float[] F(string name) => results.First(r => r.Name == name).AsTensor<float>().ToArray();
        var predicted = results.First(r => r.Name == "PredictedSum").AsTensor<long>();
        Assert.AreEqual(1, predicted.Dimensions.Length, "PredictedSum is [batch]");
        return (F("Score"), predicted.ToArray(), F("logits"));
    }
}
