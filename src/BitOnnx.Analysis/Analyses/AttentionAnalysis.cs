using BitOnnx.Analysis.Inputs;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis.Analyses;

/// <summary>Which attention probe the (a, b) maps come from.</summary>
public enum AttentionQuantity
{
    /// <summary>The softmaxed pattern (what Nanda et al. 2023 and the TransformerLens demo plot).</summary>
    Pattern,

    /// <summary>The scores before softmax.</summary>
    Scores,
}

/// <summary>Attention of each head from <c>=</c> (query position 2) to <c>a</c> (key position 0) as (a, b) maps.</summary>
/// <param name="Quantity">Pattern or scores.</param>
/// <param name="Maps">Per head, a P×P map [a, b].</param>
public sealed record AttentionResult(AttentionQuantity Quantity, double[][] Maps);

/// <summary>Reads <see cref="AttentionResult"/> off the attention probe (Li 2024 fig. 3 top left).</summary>
public static class AttentionAnalysis
{
    /// <summary>The probe a quantity comes from.</summary>
    public static string ProbeFor(AttentionQuantity quantity, int layer) =>
        quantity == AttentionQuantity.Pattern ? HookNames.Pattern(layer) : HookNames.AttnScores(layer);

    /// <summary>Extracts the maps of block <paramref name="layer"/> from the probe source.</summary>
    public static AttentionResult Analyze(IProbeSource probes, AttentionQuantity quantity, int layer)
    {
        var t = probes.Get(ProbeFor(quantity, layer));
        return new AttentionResult(quantity, ProbeViews.AttentionMaps(t, probes.P, ProbeViews.EqualsPosition, 0));
    }
}
