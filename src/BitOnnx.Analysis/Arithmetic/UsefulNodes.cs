using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>One node's mean ablation: the node and what the question set does without it.</summary>
public sealed record NodeAblation(QuantaNode Node, AblationOutcome Outcome);

/// <summary>
/// Quirke et al.'s useful nodes: at each useful position, each head of each layer (its slice of blocks.L.attn.hook_z
/// set to the question set's mean there, as ablate_head_attn_hook_z) and each layer's MLP (blocks.L.mlp.hook_post set to
/// its mean there, as ablate_mlp_hook_post) is ablated alone; a node is useful when any question then fails.
/// </summary>
public static class UsefulNodes
{
    /// <summary>Every node at <paramref name="positions"/> with its outcome, useful or not, heads before the MLP in each layer.</summary>
    public static IReadOnlyList<NodeAblation> Measure(IHookedSequenceModel model, ArithmeticQuestionSet set, IReadOnlyList<int> positions, IProgress<double>? progress = null)
    {
        var c = model.Config;
        var hooks = Enumerable.Range(0, c.NLayers).SelectMany(l => new[] { HookNames.Z(l), HookNames.MlpPost(l) }).ToArray();
        var means = HookMeans.Of(model, set, hooks);
        var nodes = positions.SelectMany(p => Enumerable.Range(0, c.NLayers).SelectMany(l =>
            Enumerable.Range(0, c.NHeads).Select(h => new QuantaNode(p, l, h)).Append(new QuantaNode(p, l, null)))).ToArray();
        var results = new List<NodeAblation>(nodes.Length);
        foreach (var node in nodes)
        {
            var write = HookMeans.Ablate(node.Hook, node.Mask(c, set.Length), means[node.Hook]);
            results.Add(new NodeAblation(node, AblationOutcome.Measure(model, set, [write])));
            progress?.Report((double)results.Count / nodes.Length);
        }
        return results;
    }
}
