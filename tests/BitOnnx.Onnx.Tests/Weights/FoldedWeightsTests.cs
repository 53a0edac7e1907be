using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Weights;
using BitOnnx.TestSupport;

namespace BitOnnx.Onnx.Tests.Weights;

/// <summary>Folded weights read back from each storage format against the quantizer applied to the latent weights.</summary>
[TestClass]
public sealed class FoldedWeightsTests
{
    private static readonly WeightFormat[] Formats = [WeightFormat.Float, WeightFormat.Int8, WeightFormat.Int2, WeightFormat.Int2Exact, WeightFormat.Int2Native, WeightFormat.Int8Dynamic];

    private static ModelCheckpoint.Loaded Checkpoint(string preset, WeightQuantization mode, QuantScope scope = QuantScope.Linears) =>
        TestCheckpoints.Untrained(Config(preset, mode, scope), seed: 5);

    private static TransformerConfig Config(string preset, WeightQuantization mode, QuantScope scope) =>
        TransformerConfig.FromPreset(preset) with { P = 11, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, Quantization = mode, QuantScope = scope };

    private static OnnxModel Export(ModelCheckpoint.Loaded checkpoint, WeightFormat format) =>
        TransformerExporter.Export(checkpoint, new ExportOptions { Weights = format, Probes = HookSelection.None }).Model;

    [TestMethod]
    [DataRow(WeightQuantization.Ternary, QuantScope.Linears)]
    [DataRow(WeightQuantization.Binary, QuantScope.Linears)]
    [DataRow(WeightQuantization.Ternary, QuantScope.All)]
    [DataRow(WeightQuantization.Binary, QuantScope.All)]
    public void EveryFormatGivesTheQuantizedWeightsInTransformerLensLayout(WeightQuantization mode, QuantScope scope)
    {
        var checkpoint = Checkpoint("li2024", mode, scope);
        var c = checkpoint.Config;
        foreach (var format in Formats)
        {
            var weights = new FoldedWeights(Export(checkpoint, format), $"{format}");
            CollectionAssert.AreEquivalent(checkpoint.Parameters.Entries.Select(e => e.Name).ToArray(), weights.Names.ToArray(),
                $"{format}: the parameters and nothing else (no scales, shapes or masks)");
            foreach (var info in checkpoint.Parameters.Entries)
            {
                var latent = checkpoint.Parameters.Slice(info);
                var expected = new float[latent.Length];
                if (info.Quantizable) WeightQuantizer.Quantize(latent, expected, c.Quantization, c.BinaryScale);
                else latent.CopyTo(expected);
                Assert.IsTrue(weights.TryRead(info.Name, out var w), info.Name);
                CollectionAssert.AreEqual(info.Shape.ToArray(), w.Shape, $"{info.Name} ({format})");
                CollectionAssert.AreEqual(expected, w.Data, $"{info.Name} ({format})");
            }
        }
    }

    [TestMethod]
    [DataRow(WeightFormat.Int8, ".codes")]
    [DataRow(WeightFormat.Int2, ".nbits")]
    public void AFullyQuantizedExportStoresEmbedAndUnembedAsCodes(WeightFormat format, string suffix)
    {
        var model = Export(Checkpoint("nanda2023", WeightQuantization.Ternary, QuantScope.All), format);
        var names = model.Graph.Initializer.Select(t => t.Name).ToHashSet();
        foreach (var weight in new[] { ParameterNames.Embed, ParameterNames.Unembed })
        {
            Assert.IsFalse(names.Contains(weight), $"{weight} is not stored as floats ({format})");
            Assert.IsTrue(names.Contains(weight + suffix), $"{weight}{suffix} ({format})");
        }
        Assert.IsTrue(names.Contains("pos_embed.W_pos"), "W_pos stays float");
    }

    [TestMethod]
    public void WOutIsTheSameForFloatInt8AndInt2Exports()
    {
        var checkpoint = Checkpoint("nanda2023", WeightQuantization.Ternary);
        var outs = Formats.Select(f =>
        {
            Assert.IsTrue(new FoldedWeights(Export(checkpoint, f), $"{f}").TryRead(ParameterNames.MlpOut(0), out var w));
            return w;
        }).ToArray();
        CollectionAssert.AreEqual(new[] { 32, 16 }, outs[0].Shape, "[d_mlp, d_model]");
        Assert.IsTrue(outs[0].Data.Distinct().Count() == 3, "ternary: three values");
        foreach (var w in outs.Skip(1))
        {
            CollectionAssert.AreEqual(outs[0].Shape, w.Shape);
            CollectionAssert.AreEqual(outs[0].Data, w.Data);
        }
    }

    [TestMethod]
    public void AModelWithoutItsConfigIsRefusedSayingWhatIsMissing()
    {
        var proto = Export(Checkpoint("li2024", WeightQuantization.None), WeightFormat.Float).Proto.Clone();
        new ExportMetadata(11).WriteInto(proto);
        var e = Assert.ThrowsException<ModelContractException>(() => new FoldedWeights(new OnnxModel(proto), "bare"));
        StringAssert.Contains(e.Message, "'bare'");
        StringAssert.Contains(e.Message, "bitonnx.config");
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    [TestMethod]
    public void AStoredWeightOfAnotherShapeThanItsConfigsIsAnError()
    {
        var proto = Export(Checkpoint("li2024", WeightQuantization.None), WeightFormat.Float).Proto.Clone();
        var wOut = proto.Graph.Initializer.Single(t => t.Name == ParameterNames.MlpOut(0));
        (wOut.Dims[0], wOut.Dims[1]) = (wOut.Dims[1], wOut.Dims[0]);
        var weights = new FoldedWeights(new OnnxModel(proto), "transposed");
        var e = Assert.ThrowsException<OnnxFormatException>(() => weights.TryRead(ParameterNames.MlpOut(0), out _));
        StringAssert.Contains(e.Message, "[16, 32]");
        StringAssert.Contains(e.Message, "[32, 16]");
    }
}
