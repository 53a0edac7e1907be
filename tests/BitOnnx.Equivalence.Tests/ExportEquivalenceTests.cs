using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Verification;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Equivalence.Tests;

/// <summary>
/// The exported graph on ONNX Runtime against the training engine, on every pair of a trained small model: logits and
/// every probe within 1e-4, identical predictions, for each preset × quantization × exact weight format; the formats
/// that round activations to 8 bits (int2, int2-native, int8-dynamic) within their stated tolerance.
/// </summary>
[TestClass]
public sealed class ExportEquivalenceTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var preset in TransformerConfig.PresetNames)
            foreach (var mode in Enum.GetValues<WeightQuantization>())
                foreach (var format in new[] { WeightFormat.Float, WeightFormat.Int8, WeightFormat.Int2Exact })
                {
                    if (mode == WeightQuantization.None && format != WeightFormat.Float) continue;
                    yield return [preset, mode, format];
                }
    }

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataSourceType.Method)]
    public void OnnxRuntimeMatchesTheEngineOnEveryProbe(string preset, WeightQuantization mode, WeightFormat format)
    {
        var checkpoint = TrainedModels.Load(preset, mode);
        var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format, Probes = HookSelection.Every });
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            using var session = ModelSession.FromModel(export.Model, $"{preset}-{mode}-{format}", new ModelSessionOptions { Threads = 1, OptimizationLevel = level });
            var report = EngineVerification.Run(checkpoint, session, ExportVerification.DefaultTolerance);
            Assert.AreEqual(HookNames.For(checkpoint.Config, 1).Count, report.Outputs.Count, "every hook is compared");
            foreach (var output in report.Outputs)
                Assert.IsTrue(output.Passed, $"{output.Name}: max |Δ| = {output.MaxAbsDifference:E2}, magnitude {output.Magnitude:G3} ({preset}, {mode}, {format}, {level})");
            Assert.AreEqual(0, report.PredictionMismatches, "predictions identical");
        }
    }

    public static IEnumerable<object[]> QuantizedActivationCases()
    {
        foreach (var preset in TransformerConfig.PresetNames)
            foreach (var mode in new[] { WeightQuantization.Binary, WeightQuantization.Ternary })
                foreach (var format in new[] { WeightFormat.Int8Dynamic, WeightFormat.Int2, WeightFormat.Int2Native })
                    yield return [preset, mode, format];
    }

    /// <summary>
    /// int8-dynamic and int2 round every linear's input to 8 bits on each call (DynamicQuantizeLinear), int2-native per
    /// block of each row (MatMulNBits, accuracy_level 4), so they are compared at the stated tolerance
    /// (<see cref="ExportVerification.DynamicTolerance"/>, what `bitonnx verify` uses for them), on every probe, at both
    /// optimization levels (ORT_ENABLE_ALL fuses DynamicQuantizeLinear → MatMulInteger into DynamicQuantizeMatMul).
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(QuantizedActivationCases), DynamicDataSourceType.Method)]
    public void QuantizedActivationsMatchTheEngineWithinTheStatedTolerance(string preset, WeightQuantization mode, WeightFormat format)
    {
        var checkpoint = TrainedModels.Load(preset, mode);
        var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format, Probes = HookSelection.Every });
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            using var session = ModelSession.FromModel(export.Model, $"{preset}-{mode}-{format}", new ModelSessionOptions { Threads = 1, OptimizationLevel = level });
            var report = EngineVerification.Run(checkpoint, session, ExportVerification.DynamicTolerance);
            Assert.AreEqual(HookNames.For(checkpoint.Config, 1).Count, report.Outputs.Count, "every hook is compared");
            foreach (var output in report.Outputs)
                Assert.IsTrue(output.Passed, $"{output.Name}: max |Δ| = {output.MaxAbsDifference:E2}, magnitude {output.Magnitude:G3} ({preset}, {mode}, {format}, {level})");
        }
    }

    [TestMethod]
    [DynamicData(nameof(ShortcutCases), DynamicDataSourceType.Method)]
    public void GraphWithoutProbesTakesTheShortcutsAndStillMatches(string preset, WeightQuantization mode, WeightFormat format)
    {
        foreach (var layers in new[] { 1, 2 })
        {
            var checkpoint = TrainedModels.Load(preset, mode, layers);
            var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format });
            Assert.IsTrue(export.Model.Graph.Node.Any(n => n.Output.Contains("blocks.0.attn.hook_k.table")), "block 0 reads its keys from a table");
            using var session = ModelSession.FromModel(export.Model, "export");
            var report = EngineVerification.Run(checkpoint, session, ExportVerification.ToleranceFor(session.Metadata));
            Assert.AreEqual(HookNames.Logits, report.Outputs.Single().Name);
            Assert.IsTrue(report.Passed, $"logits max |Δ| = {report.Outputs[0].MaxAbsDifference:E2}, magnitude {report.Outputs[0].Magnitude:G3} ({preset}, {mode}, {format}, {layers} layers)");
            if (!WeightFormats.QuantizesActivations(format)) Assert.AreEqual(0, report.PredictionMismatches);
        }
    }

    public static IEnumerable<object[]> ShortcutCases() =>
        Cases().Concat(QuantizedActivationCases().Where(c => (WeightFormat)c[2] != WeightFormat.Int8Dynamic));

    /// <summary>The same comparison on CUDA where it can be had (the CUDA build on a machine with CUDA 13); otherwise inconclusive, saying why.</summary>
    [TestMethod]
    public void CudaMatchesTheEngineWhereAvailable()
    {
        var checkpoint = TrainedModels.Load(TransformerConfig.Li2024Name, WeightQuantization.Ternary);
        var export = TransformerExporter.Export(checkpoint, new ExportOptions { Probes = HookSelection.Every });
        ModelSession session;
        try
        {
            session = ModelSession.FromModel(export.Model, "li2024-ternary", new ModelSessionOptions { Provider = ExecutionProvider.Cuda, Threads = 1 });
        }
        catch (ExecutionProviderUnavailableException e)
        {
            Assert.Inconclusive($"CUDA is not available here: {e.Message}");
            return;
        }
        using (session)
        {
            var report = EngineVerification.Run(checkpoint, session, 1e-3);
            Assert.IsTrue(report.Passed, string.Join("; ", report.Outputs.Where(o => !o.Passed).Select(o => $"{o.Name} {o.MaxAbsDifference:E2}")));
            Assert.AreEqual(0, report.PredictionMismatches);
        }
    }

    [TestMethod]
    [DataRow(WeightFormat.Int2Exact)]
    [DataRow(WeightFormat.Int2)]
    [DataRow(WeightFormat.Int2Native)]
    public void TwoLayerModelsExportToo(WeightFormat format)
    {
        var checkpoint = TrainedModels.Load(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, layers: 2);
        var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format, Probes = HookSelection.Every });
        using var session = ModelSession.FromModel(export.Model, "export");
        var report = EngineVerification.Run(checkpoint, session, ExportVerification.ToleranceFor(session.Metadata));
        Assert.IsTrue(report.Passed, string.Join("; ", report.Outputs.Where(o => !o.Passed).Select(o => $"{o.Name} {o.MaxAbsDifference:E2}")));
    }

    [TestMethod]
    [DataRow(WeightQuantization.Binary)]
    [DataRow(WeightQuantization.Ternary)]
    public void FoldedWeightsAreTheQuantizerOutputAndInt2UnpacksToTheCodes(WeightQuantization mode)
    {
        var checkpoint = TrainedModels.Load(TransformerConfig.Li2024Name, mode);
        var c = checkpoint.Config;
        var asFloat = TransformerExporter.Export(checkpoint, new ExportOptions()).Model;
        var asInt8 = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Int8 }).Model;
        var twoBit = new[] { WeightFormat.Int2, WeightFormat.Int2Exact, WeightFormat.Int2Native }
            .Select(f => TransformerExporter.Export(checkpoint, new ExportOptions { Weights = f, Probes = HookSelection.Every }).Model).ToArray();
        foreach (var info in checkpoint.Parameters.Entries.Where(e => e.Quantizable))
        {
            var latent = checkpoint.Parameters.Slice(info);
            var expected = new float[latent.Length];
            WeightQuantizer.Quantize(latent, expected, c.Quantization, c.BinaryScale);
            CollectionAssert.AreEqual(expected, asFloat.ReadInitializer<float>(info.Name), info.Name);

            var codes = new float[latent.Length];
            var scale = WeightQuantizer.Codes(latent, codes, c.Quantization, c.BinaryScale);
            CollectionAssert.AreEqual(Array.ConvertAll(codes, v => (sbyte)v), asInt8.ReadInitializer<sbyte>(info.Name + ".codes"), info.Name);
            Assert.AreEqual(scale, asInt8.ReadInitializer<float>(info.Name + ".scale")[0]);

            // Unpack MatMulNBits' [N, blocks, block_size / 4 bytes] layout by hand back to codes in TransformerLens order.
            var linear = FoldedLinear.From(c, checkpoint.Parameters, info.Name);
            var blockSize = NBitsCodes.BlockSize(linear.Rows);
            var blocks = (linear.Rows + blockSize - 1) / blockSize;
            foreach (var model in twoBit)
            {
                var packed = model.ReadInitializer<byte>(info.Name + ".nbits");
                CollectionAssert.AreEqual(new long[] { linear.Columns, blocks, blockSize / 4 }, model.GetInitializer(info.Name + ".nbits").Dims.ToArray());
                for (var k = 0; k < linear.Rows; k++)
                    for (var n = 0; n < linear.Columns; n++)
                    {
                        var bit = k % blockSize * 2;
                        var q = (packed[(n * blocks + k / blockSize) * (blockSize / 4) + bit / 8] >> (bit % 8)) & 3;
                        var tl = linear.HeadsFirst ? (n / c.DHead * linear.Rows + k) * c.DHead + n % c.DHead : k * linear.Columns + n;
                        Assert.AreEqual((int)codes[tl], q - 2, $"{info.Name} ({k}, {n})");
                    }
            }
            var native = twoBit[2];
            Assert.AreEqual(blockSize, native.Graph.Node.Single(n => n.OpType == "MatMulNBits" && n.Input.Contains(info.Name + ".nbits")).Attribute.Single(a => a.Name == "block_size").I);
            CollectionAssert.AreEqual(Enumerable.Repeat(scale, linear.Columns * blocks).ToArray(), native.ReadInitializer<float>(info.Name + ".nbits_scales"));
        }
    }

    /// <summary>
    /// int2-exact is the float graph once ONNX Runtime has folded its unpacking at load: the same weights in the same
    /// products, so every output is the float export's, bit for bit, with probes and with the shortcuts.
    /// </summary>
    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary)]
    public void Int2ExactRunsAsTheFloatExportBitForBit(string preset, WeightQuantization mode)
    {
        var checkpoint = TrainedModels.Load(preset, mode);
        foreach (var probes in new[] { HookSelection.None, HookSelection.Every })
        {
            using var asFloat = ModelSession.FromModel(TransformerExporter.Export(checkpoint, new ExportOptions { Probes = probes }).Model, "float");
            using var exact = ModelSession.FromModel(TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Int2Exact, Probes = probes }).Model, "int2-exact");
            var expected = asFloat.RunGrid(asFloat.OutputNames);
            var actual = exact.RunGrid(exact.OutputNames);
            foreach (var (name, output) in expected)
                CollectionAssert.AreEqual(output.Data, actual[name].Data, $"{name} ({preset}, {mode}, probes {probes})");
        }
    }

    [TestMethod]
    public void UnknownProbeListsTheValidNames()
    {
        var checkpoint = TrainedModels.Load(TransformerConfig.Li2024Name, WeightQuantization.Binary);
        var e = Assert.ThrowsException<ExportException>(() =>
            TransformerExporter.Export(checkpoint, new ExportOptions { Probes = HookSelection.Parse("blocks.0.mlp.hook_post,hook_pos_embed") }));
        StringAssert.Contains(e.Message, "'hook_pos_embed'");
        StringAssert.Contains(e.Message, "blocks.0.attn.hook_pattern");
    }

    [TestMethod]
    public void FullPrecisionModelsRefuseIntegerFormats()
    {
        var checkpoint = TrainedModels.Load(TransformerConfig.Li2024Name, WeightQuantization.None);
        var e = Assert.ThrowsException<ExportException>(() => TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Int2 }));
        StringAssert.Contains(e.Message, "--weights float");
    }

    [TestMethod]
    public void MetadataCarriesTheConfigAndTrainingFacts()
    {
        var checkpoint = TrainedModels.Load(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary);
        var model = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Int8 }).Model;
        var meta = model.Metadata;
        Assert.AreEqual("nanda2023", meta["bitonnx.preset"]);
        Assert.AreEqual("ternary", meta["bitonnx.quant"]);
        Assert.AreEqual("7", meta["bitonnx.p"]);
        Assert.AreEqual("int8", meta["bitonnx.weights"]);
        Assert.AreEqual("40", meta["bitonnx.epoch"]);
        Assert.AreEqual(checkpoint.Config, TransformerConfig.FromJson(meta["bitonnx.config"]));
        Assert.AreEqual("tokens", model.Inputs.Single().Name);
        Assert.AreEqual("batch", model.Outputs.Single().Shape![0].Name);
    }
}
