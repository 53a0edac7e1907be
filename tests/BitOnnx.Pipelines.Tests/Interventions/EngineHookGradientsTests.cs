using BitOnnx.Analysis.Interventions;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;
using BitOnnx.Pipelines.Interventions;
using BitOnnx.TestSupport;

namespace BitOnnx.Pipelines.Tests.Interventions;

/// <summary>
/// The engine rebuilt from an export's folded weights runs the export's forward pass (its hooks are ONNX Runtime's
/// probes, for every weight format), and the attribution estimates it gives activation patching are the derivative of
/// the metric along the patch, measured by central differences through ONNX Runtime itself.
/// </summary>
[TestClass]
public sealed class EngineHookGradientsTests
{
    private const int P = 11;

    private static OnnxModel Export(string preset, WeightQuantization mode, WeightFormat format)
    {
        var checkpoint = TestCheckpoints.Untrained(SmallConfigs.Interventions(preset, P, mode), seed: 21);
        return TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format, Probes = HookSelection.Every, Writable = HookSelection.Every }).Model;
    }

    [TestMethod]
    [DataRow("li2024", WeightQuantization.Binary, WeightFormat.Float)]
    [DataRow("li2024", WeightQuantization.Ternary, WeightFormat.Int8)]
    [DataRow("li2024", WeightQuantization.Ternary, WeightFormat.Int2)]
    [DataRow("nanda2023", WeightQuantization.None, WeightFormat.Float)]
    [DataRow("nanda2023", WeightQuantization.Binary, WeightFormat.Int8Dynamic)]
    public void TheEngineOnTheFoldedWeightsRunsTheExportsForwardPass(string preset, WeightQuantization mode, WeightFormat format)
    {
        var onnx = Export(preset, mode, format);
        using var session = ModelSession.FromModel(onnx, "m");
        var gradients = EngineHookGradients.FromOnnx(onnx, session.Metadata, "m", threads: 1);
        var tokens = ModelSession.GridTokens(P);
        string[] hooks = [HookNames.Z(0), HookNames.MlpPost(0), HookNames.ResidPost(0), HookNames.Logits];
        var engine = gradients.Run(tokens, hooks, metric: null);
        var ort = session.Run(tokens, hooks);
        // Formats that round activations to 8 bits (int2, int8-dynamic) differ from float32 by that rounding, which
        // verify bounds with its own tolerance; the others are float32 sums in different orders.
        var tolerance = format is WeightFormat.Int2 or WeightFormat.Int8Dynamic ? ExportVerification.DynamicTolerance : ExportVerification.DefaultTolerance;
        foreach (var hook in hooks)
        {
            var d = new OutputDifference(hook, ExportVerification.MaxAbsDifference(ort[hook].Data, engine.Activations[hook]), ExportVerification.Magnitude(ort[hook].Data), tolerance);
            Assert.IsTrue(d.Passed, $"{hook}: max |Δ| = {d.MaxAbsDifference:E2} above {d.Bound:E2}");
        }
        Assert.IsNull(engine.Gradients);
    }

    [TestMethod]
    [DataRow("nanda2023", WeightQuantization.None, PatchingMetric.LogitDifference)]
    [DataRow("li2024", WeightQuantization.Ternary, PatchingMetric.Loss)]
    public void AttributionIsTheMetricsDerivativeAlongThePatch(string preset, WeightQuantization mode, PatchingMetric metricKind)
    {
        var onnx = Export(preset, mode, WeightFormat.Float);
        using var session = ModelSession.FromModel(onnx, "m");
        var config = session.Metadata.Config!;
        var gradients = EngineHookGradients.FromOnnx(onnx, session.Metadata, "m", threads: 1);
        var pairs = PatchingPairs.All(P, PartnerRule.Random, seed: 5);
        var table = ActivationPatching.Run(session, pairs, metricKind, [PatchingTarget.ResidPre, PatchingTarget.Z, PatchingTarget.Neurons], gradients: gradients);
        Assert.IsNotNull(table.Correlation);
        StringAssert.Contains(table.AttributionBy, "engine");

        var metric = ActivationPatching.Metric(metricKind, pairs, config.DVocabOut);
        long[] cleanTokens = pairs.Tokens(corrupted: false), corruptTokens = pairs.Tokens(corrupted: true);
        // Two neurons a random model does use (many are dead at the last position, where both runs give 0).
        var neurons = table.Rows.Where(r => r.Node.Target == PatchingTarget.Neurons).OrderByDescending(r => Math.Abs(r.Attribution!.Value)).Take(2).ToList();
        Assert.IsTrue(neurons.All(r => Math.Abs(r.Attribution!.Value) > 1e-4), "the neurons checked matter");
        string[] nodes = ["blocks.0.hook_resid_pre[pos=1]", "blocks.0.attn.hook_z[head=1, pos=2]", .. neurons.Select(r => r.Node.Component)];
        foreach (var row in table.Rows.Where(r => nodes.Contains(r.Node.Component)))
        {
            var node = row.Node;
            var clean = session.Run(cleanTokens, [node.Hook])[node.Hook].Data;
            var corrupt = session.Run(corruptTokens, [node.Hook])[node.Hook].Data;
            // Central differences of metric(H_corrupt + α(H_clean − H_corrupt)) at α = 0, written at the node only.
            const double h = 0.002;
            double At(double alpha)
            {
                var values = new float[corrupt.Length];
                for (var i = 0; i < values.Length; i++) values[i] = (float)(corrupt[i] + alpha * ((double)clean[i] - corrupt[i]));
                var writes = session.Resolve(corruptTokens, [Intervention.Patch(node.Hook, values, node.Index)]);
                return metric.Value(session.Run(corruptTokens, writes, [HookNames.Logits])[HookNames.Logits].Data);
            }
            var derivative = (At(h) - At(-h)) / (2 * h);
            // h small enough that no row's ReLU changes side within ±h (at h = 0.02 some did, and the difference was 13%),
            // large enough that float32 rounding of the metric over 2h stays near 1e-6: measured differences were below
            // 0.3% of the derivative plus 1e-6.
            var bound = 2e-2 * Math.Abs(derivative) + 5e-6 * Math.Max(1, Math.Abs(table.Clean));
            Assert.AreEqual(derivative, row.Attribution!.Value, bound, node.Component);
        }
        Assert.AreEqual(nodes.Length, table.Rows.Count(r => nodes.Contains(r.Node.Component)));
    }

    [TestMethod]
    public void WhereTheLogitsAreLinearInANodeAttributionIsExact()
    {
        // nanda2023 has no final norm: the logits are W_U times the last position's residual stream, linear in its
        // last MLP output, so the logit difference's first-order estimate is its exact change.
        var onnx = Export("nanda2023", WeightQuantization.None, WeightFormat.Float);
        using var session = ModelSession.FromModel(onnx, "m");
        var gradients = EngineHookGradients.FromOnnx(onnx, session.Metadata, "m", threads: 1);
        var table = ActivationPatching.Run(session, PatchingPairs.All(P, PartnerRule.Random, seed: 2), PatchingMetric.LogitDifference, [PatchingTarget.MlpOut], gradients: gradients);
        var last = table.Rows.Single(r => r.Node.Component == "blocks.0.hook_mlp_out[pos=2]");
        Assert.IsTrue(Math.Abs(last.Effect) > 1e-3, $"the node matters ({last.Effect:E2})");
        Assert.AreEqual(last.Effect, last.Attribution!.Value, 1e-3 * Math.Abs(last.Effect) + 1e-6);
    }
}
