using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Onnx.Export;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Onnx;

/// <summary>Folded weights read back from each storage format against the quantizer applied to the latent weights.</summary>
[TestClass]
public sealed class OnnxWeightSourceTests
{
    private static readonly WeightFormat[] Formats = [WeightFormat.Float, WeightFormat.Int8, WeightFormat.Int2, WeightFormat.Int2Exact, WeightFormat.Int2Native, WeightFormat.Int8Dynamic];

    [TestMethod]
    [DataRow(WeightQuantization.Ternary, QuantScope.Linears)]
    [DataRow(WeightQuantization.Binary, QuantScope.Linears)]
    [DataRow(WeightQuantization.Ternary, QuantScope.All)]
    [DataRow(WeightQuantization.Binary, QuantScope.All)]
    public void EveryFormatGivesTheQuantizedWeightsInTransformerLensLayout(WeightQuantization mode, QuantScope scope)
    {
        var checkpoint = TinyExports.Checkpoint("li2024", mode, scope);
        var c = checkpoint.Config;
        foreach (var format in Formats)
        {
            var weights = new OnnxWeightSource(TinyExports.Export(checkpoint, format, HookSelection.None));
            CollectionAssert.AreEquivalent(checkpoint.Parameters.Entries.Select(e => e.Name).ToArray(), weights.Names.ToArray(),
                $"{format}: the parameters and nothing else (no scales, shapes or masks)");
            foreach (var info in checkpoint.Parameters.Entries)
            {
                var latent = checkpoint.Parameters.Slice(info);
                var expected = new float[latent.Length];
                if (info.Quantizable) WeightQuantizer.Quantize(latent, expected, c.Quantization, c.BinaryScale);
                else latent.CopyTo(expected);
                Assert.IsTrue(weights.TryGet(info.Name, out var w), info.Name);
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
        var model = TinyExports.Export(TinyExports.Checkpoint("nanda2023", WeightQuantization.Ternary, QuantScope.All), format, HookSelection.None);
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
        var checkpoint = TinyExports.Checkpoint("nanda2023", WeightQuantization.Ternary);
        var outs = Formats.Select(f =>
        {
            Assert.IsTrue(new OnnxWeightSource(TinyExports.Export(checkpoint, f, HookSelection.None)).TryGet(ParameterNames.MlpOut(0), out var w));
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
    public void SumOfSquaresOfAFloatExportCountsOnlyParameters()
    {
        var checkpoint = TinyExports.Checkpoint("li2024", WeightQuantization.None);
        var weights = new OnnxWeightSource(TinyExports.Export(checkpoint));
        double expected = checkpoint.Parameters.Data.Sum(v => (double)v * v);
        Assert.AreEqual(expected, Progress.ProgressMeasures.SumOfSquares(weights), 1e-9 * expected);
    }
}
