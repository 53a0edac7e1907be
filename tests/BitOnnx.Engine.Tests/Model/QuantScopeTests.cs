using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Engine.Model;

namespace BitOnnx.Engine.Tests.Model;

/// <summary>
/// Quant scope all: the forward pass multiplies by the quantized W_E and W_U, each the scalar reference quantizer's
/// output for the whole tensor; scope linears leaves them exactly the latent values.
/// </summary>
[TestClass]
public sealed class QuantScopeTests
{
    [TestMethod]
    [DataRow(WeightQuantization.Binary, BinaryScale.None)]
    [DataRow(WeightQuantization.Binary, BinaryScale.AbsMean)]
    [DataRow(WeightQuantization.Ternary, BinaryScale.None)]
    public void ScopeAllQuantizesEmbedAndUnembedAsTheCoreQuantizer(WeightQuantization mode, BinaryScale binaryScale)
    {
        var config = TransformerConfig.Li2024 with { P = 7, DModel = 8, NHeads = 2, DHead = 4, DMlp = 12, Quantization = mode, BinaryScale = binaryScale, QuantScope = QuantScope.All };
        var latent = ParameterInitializer.Initialize(config, seed: 11);
        var weights = new EffectiveWeights(config);
        weights.LoadFrom(latent);

        AssertQuantized(latent[ParameterNames.Embed], weights.Embed, mode, binaryScale);
        AssertQuantized(latent[ParameterNames.Unembed], weights.Unembed, mode, binaryScale);
        Assert.IsTrue(latent.Info(ParameterNames.Embed).Quantizable && latent.Info(ParameterNames.Unembed).Quantizable);
    }

    [TestMethod]
    public void ScopeLinearsKeepsEmbedAndUnembedFloat()
    {
        var config = TransformerConfig.Li2024 with { P = 7, DModel = 8, NHeads = 2, DHead = 4, DMlp = 12, Quantization = WeightQuantization.Binary };
        var latent = ParameterInitializer.Initialize(config, seed: 11);
        var weights = new EffectiveWeights(config);
        weights.LoadFrom(latent);

        CollectionAssert.AreEqual(latent[ParameterNames.Embed].ToArray(), weights.Embed);
        CollectionAssert.AreEqual(latent[ParameterNames.Unembed].ToArray(), weights.Unembed);
        Assert.IsFalse(latent.Info(ParameterNames.Embed).Quantizable || latent.Info(ParameterNames.Unembed).Quantizable);
    }

    private static void AssertQuantized(ReadOnlySpan<float> latent, float[] actual, WeightQuantization mode, BinaryScale binaryScale)
    {
        var codes = new float[latent.Length];
        var scale = WeightQuantizerReference.Codes(latent, codes, mode, binaryScale);
        var distinct = new HashSet<float>();
        for (var i = 0; i < codes.Length; i++)
        {
            Assert.AreEqual(scale * codes[i], actual[i], $"element {i}");
            distinct.Add(actual[i]);
        }
        Assert.IsTrue(distinct.Count <= 3, $"a quantized tensor holds at most three values, got {distinct.Count}");
    }
}
