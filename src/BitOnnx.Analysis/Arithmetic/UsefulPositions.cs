using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>One position's ablation: its name (D3, =, A5) and what the question set does without it.</summary>
public sealed record PositionAblation(int Position, string Name, AblationOutcome Outcome);

/// <summary>
/// Quirke et al.'s useful positions: each position in turn is mean-ablated in the residual stream and the questions
/// that then fail are counted; a position where any fails is useful. Their hook (a_put_resid_post_hook on every layer)
/// writes the question set's mean of blocks.0.hook_resid_post at that position into hook_resid_post of every layer, so
/// nothing computed at the position reaches later positions or its own prediction: <see cref="Find"/> with
/// <c>layer</c> null does that. With a layer given, only that layer's hook_resid_post is written, with its own mean.
/// </summary>
public static class UsefulPositions
{
    public static IReadOnlyList<PositionAblation> Find(IHookedSequenceModel model, ArithmeticQuestionSet set, int? layer = null, IProgress<double>? progress = null)
    {
        var c = model.Config;
        if (layer is int l && (l < 0 || l >= c.NLayers))
            throw new AnalysisInputException($"Layer {l} is not one of the model's layers 0..{c.NLayers - 1}; give one of them, or none for every layer as Quirke et al. ablate.");
        var source = HookNames.ResidPost(layer ?? 0);
        var mean = HookMeans.Of(model, set, [source])[source];
        int[] targets = layer is int only ? [only] : Enumerable.Range(0, c.NLayers).ToArray();
        var results = new List<PositionAblation>(set.Length);
        for (int p = 0; p < set.Length; p++)
        {
            var mask = HookMeans.PositionMask(set.Length, c.DModel, p);
            var writes = targets.Select(t => HookMeans.Ablate(HookNames.ResidPost(t), mask, mean)).ToArray();
            results.Add(new PositionAblation(p, set.PositionName(p), AblationOutcome.Measure(model, set, writes)));
            progress?.Report((p + 1.0) / set.Length);
        }
        return results;
    }
}
