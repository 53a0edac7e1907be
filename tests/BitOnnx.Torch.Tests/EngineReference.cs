using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Model;

namespace BitOnnx.Torch.Tests;

/// <summary>The engine's side of the comparisons: its latent gradient, step by step as its TrainingStep takes it.</summary>
internal static class EngineReference
{
    public static ParameterSet LatentGradient(TransformerConfig c, ParameterSet parameters, IReadOnlyList<int> rows)
    {
        var ws = new Workspace(c, ModularAdditionData.Tokens(c.P, rows), ModularAdditionData.Targets(c.P, rows),
            lastPositionOnly: true, withGradients: true);
        var weights = new EffectiveWeights(c);
        weights.LoadFrom(parameters);
        TransformerForward.Run(weights, ws, threads: 1);
        var weightGradient = new EffectiveWeights(c);
        TransformerBackward.Run(weights, ws, weightGradient, threads: 1);
        var latent = parameters.ZerosLike();
        weightGradient.AccumulateInto(latent);
        return latent;
    }

    /// <summary>
    /// Both presets, three modes, 1 and 2 layers. nanda2023's binary weights carry BitNet's absmean scale: nanda2023 has
    /// no final norm, so unscaled ±1 weights on its randn/sqrt(d_model) embeddings give 2-layer logits near 1e8 (loss
    /// 2.6e8 at P = 23), where every softmax is saturated and float32 rounding of those huge values, not the arithmetic
    /// under test, decides the gradient (the backends then agree only to ~1e-2). li2024 covers unscaled binary.
    /// </summary>
    public static IEnumerable<TransformerConfig> Configs(int p)
    {
        foreach (var preset in TransformerConfig.PresetNames)
            foreach (var mode in Enum.GetValues<WeightQuantization>())
                foreach (var layers in new[] { 1, 2 })
                {
                    var scale = preset == TransformerConfig.Nanda2023Name && mode == WeightQuantization.Binary ? BinaryScale.AbsMean : BinaryScale.None;
                    yield return TransformerConfig.FromPreset(preset) with { P = p, Quantization = mode, NLayers = layers, BinaryScale = scale };
                }
        // Fully quantized (W_E and W_U too), as docs/fully-quantized.md trains them: binary with BitNet's absmean scale.
        yield return TransformerConfig.Li2024 with { P = p, Quantization = WeightQuantization.Binary, BinaryScale = BinaryScale.AbsMean, QuantScope = QuantScope.All };
        yield return TransformerConfig.Li2024 with { P = p, Quantization = WeightQuantization.Ternary, QuantScope = QuantScope.All };
    }

    public static string Describe(TransformerConfig c) =>
        $"{c.Preset} {c.Quantization} (scale {c.BinaryScale}, scope {c.QuantScope}) {c.NLayers} layer(s)";

    /// <summary>max |a − b| / max |b| over finite entries; infinities must sit at the same places with the same sign.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) return double.PositiveInfinity;
        double worst = 0, scale = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (float.IsInfinity(expected[i]) || float.IsInfinity(actual[i]))
            {
                if (actual[i] != expected[i]) return double.PositiveInfinity;
                continue;
            }
            worst = Math.Max(worst, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }
        return scale == 0 ? worst : worst / scale;
    }
}
