using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Engine.Model;
using BitOnnx.Torch.Model;

namespace BitOnnx.Torch.Tests.Interventions;

/// <summary>
/// What the intervention tests share: small models of both presets and three modes with two layers (so that a write in
/// block 0 reaches block 1's hooks and block 0's table is a different path from block 1's residual input), one
/// intervention on each family of hooks, and the weights as the forward pass uses them.
/// </summary>
internal static class InterventionCases
{
    /// <summary>
    /// Both presets, three modes, two layers, small widths, and li2024 with W_E and W_U quantized too. Binary weights
    /// carry BitNet's absmean scale in two layers: unscaled ±1 weights grow the residual stream so fast that block 1's
    /// attention scores reach 4e6 (li2024, d_model 16), where float32 rounding of a score (≈ 0.25) decides the softmax,
    /// so no backend agrees with a float64 one there. Li's unscaled binary is the one-layer config (scores ≤ 41).
    /// </summary>
    public static IEnumerable<TransformerConfig> Configs(int p, int dModel = 16, int heads = 2, int dHead = 8, int dMlp = 24)
    {
        var shape = TransformerConfig.Li2024 with { P = p, DModel = dModel, NHeads = heads, DHead = dHead, DMlp = dMlp, NLayers = 2 };
        foreach (var preset in TransformerConfig.PresetNames)
            foreach (var mode in Enum.GetValues<WeightQuantization>())
            {
                var scale = mode == WeightQuantization.Binary ? BinaryScale.AbsMean : BinaryScale.None;
                yield return TransformerConfig.FromPreset(preset) with
                {
                    P = p,
                    DModel = dModel,
                    NHeads = heads,
                    DHead = dHead,
                    DMlp = dMlp,
                    NLayers = 2,
                    Quantization = mode,
                    BinaryScale = scale,
                };
            }
        yield return shape with { NLayers = 1, Quantization = WeightQuantization.Binary };
        yield return shape with { Quantization = WeightQuantization.Ternary, QuantScope = QuantScope.All };
    }

    /// <summary>
    /// One component of every family a config has, at TransformerLens' granularity: the residual stream by position
    /// (pre, mid, post, in the first and the last block), the embeddings, q, k, v and z by head (and position), the pattern by head,
    /// destination and source, MLP neurons before and after the ReLU, the attention and MLP outputs, the final norm.
    /// </summary>
    public static IEnumerable<(string Hook, HookIndex Index)> Components(TransformerConfig c)
    {
        var last = c.NLayers - 1;
        yield return (HookNames.Embed, new HookIndex(Position: 0));
        if (c.PositionalEmbedding) yield return (HookNames.PosEmbed, new HookIndex(Position: 1));
        yield return (HookNames.ResidPre(0), new HookIndex(Position: 1));
        yield return (HookNames.ResidPre(last), new HookIndex(Position: 2));
        yield return (HookNames.Q(0), new HookIndex(Head: 1));
        yield return (HookNames.K(last), new HookIndex(Position: 1, Head: 0));
        yield return (HookNames.V(0), new HookIndex(Position: 0, Head: 1));
        yield return (HookNames.Z(last), new HookIndex(Head: 1));
        yield return (HookNames.Pattern(0), new HookIndex(Position: 2, Head: 0, Source: 1));
        yield return (HookNames.Pattern(last), new HookIndex(Head: 1));
        yield return (HookNames.AttnOut(0), new HookIndex(Position: 2));
        yield return (HookNames.ResidMid(last), HookIndex.All);
        yield return (HookNames.MlpPre(0), new HookIndex(Neuron: 3));
        yield return (HookNames.MlpPost(last), new HookIndex(Neuron: 7));
        yield return (HookNames.MlpOut(0), HookIndex.All);
        yield return (HookNames.ResidPost(0), new HookIndex(Position: 0));
        yield return (HookNames.ResidPost(last), new HookIndex(Position: 2));
        if (c.FinalNorm) yield return (HookNames.FinalNormalized, new HookIndex(Position: 2));
    }

    /// <summary>An intervention of each kind on a component; given values are seeded draws in ±1, one row for all or one per row.</summary>
    public static Intervention Of(InterventionKind kind, string hook, HookIndex index, TransformerConfig c, int rows, int seed) => kind switch
    {
        InterventionKind.Zero => Intervention.Zero(hook, index),
        InterventionKind.Mean => Intervention.Mean(hook, index),
        InterventionKind.Resample => Intervention.Resample(hook, index),
        _ => Intervention.Patch(hook, Draws(HookLayout.Of(c, hook).RowSize * (seed % 2 == 0 ? rows : 1), seed), index),
    };

    public static float[] Draws(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray();
    }

    /// <summary>The latent weights with every quantizable tensor replaced by the quantized one the forward pass uses.</summary>
    public static ParameterSet Effective(TransformerConfig c, ParameterSet latent)
    {
        var effective = latent.Clone();
        if (c.Quantization == WeightQuantization.None) return effective;
        foreach (var info in effective.Entries.Where(e => e.Quantizable))
            WeightQuantizer.Quantize(latent.Slice(info), effective.Slice(info), c.Quantization, c.BinaryScale);
        return effective;
    }

    /// <summary>The same model computed in full precision: how already-quantized weights load into the engine.</summary>
    public static TransformerConfig FullPrecision(TransformerConfig c) =>
        c with { Quantization = WeightQuantization.None, QuantScope = QuantScope.Linears, BinaryScale = BinaryScale.None };

    /// <summary>The engine's clean activations: what mean and resample interventions take their values from.</summary>
    public static ActivationCache EngineClean(TransformerConfig c, ParameterSet latent, int[] tokens) => ActivationCache.Run(c, latent, tokens);

    public static TorchTransformer Model(TransformerConfig c, ParameterSet latent)
    {
        var model = new TorchTransformer(c);
        model.LoadFrom(latent);
        return model;
    }

    public static int[] Tokens(int p, IReadOnlyList<int> rows) => ModularAdditionData.Tokens(p, rows);

    /// <summary>max |a − b| / max |b| over finite entries; infinities must sit at the same places with the same sign.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        if (actual.Length != expected.Length) return double.PositiveInfinity;
        double worst = 0, scale = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (double.IsInfinity(expected[i]) || float.IsInfinity(actual[i]))
            {
                if (actual[i] != expected[i]) return double.PositiveInfinity;
                continue;
            }
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return scale == 0 ? worst : worst / scale;
    }

    public static string Describe(TransformerConfig c) => EngineReference.Describe(c);
}
