using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Onnx;

/// <summary>
/// Gradients of the logits with respect to the token embeddings, by central differences through ONNX Runtime, against
/// a closed form. The model is made solvable by hand: W_Q = W_K = 0 makes every attention score 0 whatever the input
/// (so the pattern is uniform, 1/3, and carries no gradient), and W_in = 0 makes the MLP output 0. What is left is
/// r = x₂ + ⅓(x₀ + x₁ + x₂)·M with M = Σ_h W_V[h]·W_O[h] and x_j = E_j (+ W_pos[j] for nanda2023), then the logits
/// r·W_U (nanda2023) or RMSNorm(r)·W_U (li2024, with a random gain, so the norm's curvature is exercised).
/// </summary>
[TestClass]
public sealed class OnnxEmbeddedLogitsTests
{
    private const int P = 7, D = 8, Heads = 2, DHead = 4;

    [TestMethod]
    [DataRow("li2024", WeightQuantization.None, WeightFormat.Float)]
    [DataRow("nanda2023", WeightQuantization.None, WeightFormat.Float)]
    [DataRow("li2024", WeightQuantization.Ternary, WeightFormat.Int2Exact)]
    [DataRow("li2024", WeightQuantization.Ternary, WeightFormat.Int2Native)]
    [DataRow("nanda2023", WeightQuantization.Ternary, WeightFormat.Int8)]
    public void SurgeryGradientsMatchTheClosedForm(string preset, WeightQuantization mode, WeightFormat format)
    {
        var checkpoint = SolvableModel(preset, mode);
        using var model = OnnxEmbeddedLogits.FromTokenModel(TinyExports.Export(checkpoint, format, HookSelection.Of("hook_embed")), "solvable");
        Assert.IsTrue(model.DoublePrecision, model.Description);
        StringAssert.Contains(model.Description, "graph surgery");
        AssertGradientsMatch(model, checkpoint, 1e-6);
    }

    [TestMethod]
    public void Float32SurgeryGradientsMatchTheClosedFormToFloatAccuracy()
    {
        var checkpoint = SolvableModel("li2024", WeightQuantization.None);
        using var model = OnnxEmbeddedLogits.FromTokenModel(TinyExports.Export(checkpoint), "solvable", promoteToDouble: false);
        Assert.IsFalse(model.DoublePrecision);
        StringAssert.Contains(model.Description, "float32");
        AssertGradientsMatch(model, checkpoint, 1e-3);
    }

    [TestMethod]
    public void EmbeddedInputDoubleExportGradientsMatchTheClosedForm()
    {
        var checkpoint = SolvableModel("nanda2023", WeightQuantization.None);
        using var model = OnnxEmbeddedLogits.FromEmbeddedExport(TinyExports.Export(checkpoint, embeddedInput: true, doublePrecision: true), "emb.onnx");
        Assert.IsTrue(model.DoublePrecision);
        StringAssert.Contains(model.Description, "embedded-input export 'emb.onnx', float64");
        AssertGradientsMatch(model, checkpoint, 1e-6);
    }

    [TestMethod]
    [DataRow(WeightFormat.Float)]
    [DataRow(WeightFormat.Int8)]
    [DataRow(WeightFormat.Int2Exact)]
    public void SurgeryKeepsTheFunctionFeedingHookEmbedReproducesTheLogits(WeightFormat format)
    {
        var checkpoint = TinyExports.Checkpoint("li2024", WeightQuantization.Binary);
        var export = TinyExports.Export(checkpoint, format);
        var probes = new OnnxProbeSource(ModularAdditionGraph.Read(export, "tiny"));
        using var model = OnnxEmbeddedLogits.FromTokenModel(export, "tiny");

        var inputs = model.Graph.Inputs;
        Assert.AreEqual(1, inputs.Count);
        Assert.AreEqual(ModelContract.Embedded, inputs[0].Name);
        CollectionAssert.AreEqual(new[] { HookNames.Logits }, model.Graph.Outputs.Select(o => o.Name).ToArray());
        Assert.IsFalse(model.Graph.Graph.Node.Any(n => n.Input.Contains(ModelContract.Tokens)), "tokens is gone");
        Assert.IsFalse(model.Graph.Initializers.Any(i => i.Name == ParameterNames.Embed), "W_E is gone with the Gather");

        var embedded = Array.ConvertAll(probes.Get(HookNames.Embed).Data, v => (double)v);
        var logits = model.Logits(embedded, TinyExports.P * TinyExports.P);
        var expected = probes.Get(HookNames.Logits).Data;
        double magnitude = expected.Max(v => Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], logits[i], 1e-5 * Math.Max(1, magnitude), $"logit {i} ({format})");
    }

    [TestMethod]
    public void AGraphWhoseLogitsReadTheTokensElsewhereIsRefused()
    {
        var export = TinyExports.Export(TinyExports.Checkpoint("li2024", WeightQuantization.None), probes: HookSelection.Of("hook_embed"));
        var proto = export.Proto.Clone();
        // Feed the tokens (cast to float and summed) into the logits besides the embedding path.
        var g = proto.Graph;
        g.Node.Add(new BitOnnx.Onnx.Proto.NodeProto { OpType = "Cast", Input = { "tokens" }, Output = { "tokens_f" }, Attribute = { new BitOnnx.Onnx.Proto.AttributeProto { Name = "to", I = 1, Type = BitOnnx.Onnx.Proto.AttributeProto.Types.AttributeType.Int } } });
        g.Node.Add(new BitOnnx.Onnx.Proto.NodeProto { OpType = "ReduceSum", Input = { "tokens_f" }, Output = { "tokens_sum" } });
        int logits = g.Node.ToList().FindIndex(n => n.Output.Contains(HookNames.Logits));
        g.Node[logits].Output[0] = "logits_raw";
        g.Node.Add(new BitOnnx.Onnx.Proto.NodeProto { OpType = "Add", Input = { "logits_raw", "tokens_sum" }, Output = { HookNames.Logits } });
        var e = Assert.ThrowsException<ModelContractException>(() => OnnxEmbeddedLogits.FromTokenModel(new BitOnnx.Onnx.OnnxModel(proto), "odd"));
        StringAssert.Contains(e.Message, "tokens");
        StringAssert.Contains(e.Message, "--embedded-input --double");
    }

    [TestMethod]
    public void AGraphThatRoundsItsActivationsIsRefusedWithTheReason()
    {
        var export = TinyExports.Export(TinyExports.Checkpoint("li2024", WeightQuantization.Binary), WeightFormat.Int8Dynamic, HookSelection.Of("hook_embed"));
        var e = Assert.ThrowsException<ModelContractException>(() => OnnxEmbeddedLogits.FromTokenModel(export, "dyn"));
        StringAssert.Contains(e.Message, "DynamicQuantizeLinear");
        StringAssert.Contains(e.Message, "--embedded-input --double");
    }

    /// <summary>Central differences of every logit w.r.t. all three embedded tokens at a few (a, b) against the closed form.</summary>
    private static void AssertGradientsMatch(OnnxEmbeddedLogits model, ModelCheckpoint.Loaded checkpoint, double relativeTolerance)
    {
        var parameters = checkpoint.Parameters;
        var embed = parameters[ParameterNames.Embed].ToArray();
        double rms = Math.Sqrt(embed.Take(P * D).Average(v => (double)v * v));
        double step = model.RecommendedRelativeStep * rms;
        var coordinates = Enumerable.Range(0, 3 * D).ToArray();
        foreach (var (a, b) in new[] { (0, 0), (3, 5), (6, 2) })
        {
            var x0 = new double[3 * D];
            int[] tokens = [a, b, P];
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < D; k++) x0[j * D + k] = embed[tokens[j] * D + k];
            var numeric = CentralDifferences.Gradients(model.Logits, x0, coordinates, step, out int outputs);
            Assert.AreEqual(P, outputs);
            var exact = ClosedFormGradients(checkpoint, x0);
            double scale = exact.Max(Math.Abs);
            for (int i = 0; i < exact.Length; i++)
                Assert.AreEqual(exact[i], numeric[i], relativeTolerance * scale, $"∂logit_{i / (3 * D)}/∂x_{i % (3 * D)} at ({a}, {b}); {model.Description}");
        }
    }

    /// <summary>[c, j·D + k] = ∂logit_c/∂E_j[k] for the solvable model, in double from the effective weights.</summary>
    private static double[] ClosedFormGradients(ModelCheckpoint.Loaded checkpoint, double[] x0)
    {
        var c = checkpoint.Config;
        double[] Effective(string name)
        {
            var latent = checkpoint.Parameters[name];
            var values = new float[latent.Length];
            WeightQuantizer.Quantize(latent, values, c.Quantization, c.BinaryScale);
            return Array.ConvertAll(values, v => (double)v);
        }
        var wv = Effective(ParameterNames.Value(0));   // [H, D, E]
        var wo = Effective(ParameterNames.Output(0));  // [H, E, D]
        var m = new double[D * D];
        for (int h = 0; h < Heads; h++)
            for (int i = 0; i < D; i++)
                for (int e = 0; e < DHead; e++)
                    for (int j = 0; j < D; j++)
                        m[i * D + j] += wv[(h * D + i) * DHead + e] * wo[(h * DHead + e) * D + j];

        var x = (double[])x0.Clone();
        if (c.PositionalEmbedding)
        {
            var pos = checkpoint.Parameters[ParameterNames.PosEmbed].ToArray();
            for (int i = 0; i < x.Length; i++) x[i] += pos[i];
        }
        var r = new double[D];
        for (int k = 0; k < D; k++)
        {
            r[k] = x[2 * D + k];
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < D; i++) r[k] += x[j * D + i] * m[i * D + k] / 3;
        }
        var wu = checkpoint.Parameters[ParameterNames.Unembed].ToArray(); // [D, P]
        double norm = Math.Sqrt(r.Sum(v => v * v));
        var gain = c.FinalNorm ? checkpoint.Parameters[ParameterNames.FinalNormWeight].ToArray() : null;

        var grad = new double[P * 3 * D];
        for (int o = 0; o < P; o++)
        {
            // ∂logit/∂r: W_U[:, o] without a norm; with RMSNorm (u = √D·g⊙W_U[:, o]) u/‖r‖ − (r·u) r/‖r‖³.
            var dr = new double[D];
            if (gain is null)
            {
                for (int k = 0; k < D; k++) dr[k] = wu[k * P + o];
            }
            else
            {
                var u = new double[D];
                for (int k = 0; k < D; k++) u[k] = Math.Sqrt(D) * gain[k] * wu[k * P + o];
                double ru = 0;
                for (int k = 0; k < D; k++) ru += r[k] * u[k];
                for (int k = 0; k < D; k++) dr[k] = u[k] / norm - ru * r[k] / (norm * norm * norm);
            }
            // r = Σ_j x_j·A_j with A_0 = A_1 = M/3 and A_2 = I + M/3.
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < D; i++)
                {
                    double s = j == 2 ? dr[i] : 0;
                    for (int k = 0; k < D; k++) s += m[i * D + k] / 3 * dr[k];
                    grad[o * 3 * D + j * D + i] = s;
                }
        }
        return grad;
    }

    /// <summary>Random weights with W_Q = W_K = W_in = 0 and a random RMSNorm gain.</summary>
    private static ModelCheckpoint.Loaded SolvableModel(string preset, WeightQuantization mode)
    {
        var config = TransformerConfig.FromPreset(preset) with { P = P, DModel = D, NHeads = Heads, DHead = DHead, DMlp = 16, Quantization = mode };
        var parameters = ParameterInitializer.Initialize(config, 11);
        parameters[ParameterNames.Query(0)].Clear();
        parameters[ParameterNames.Key(0)].Clear();
        parameters[ParameterNames.MlpIn(0)].Clear();
        if (config.FinalNorm)
        {
            var random = new Random(3);
            var gain = parameters[ParameterNames.FinalNormWeight];
            for (int k = 0; k < gain.Length; k++) gain[k] = (float)(0.5 + random.NextDouble());
        }
        return TestCheckpoints.WithParameters(config, parameters, seed: 11);
    }
}
