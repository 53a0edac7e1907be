using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis.Interventions;

/// <summary>Which hooks activation patching patches, at TransformerLens' granularity.</summary>
public enum PatchingTarget
{
    /// <summary>Each block's residual stream input at each position: <c>blocks.L.hook_resid_pre[pos=T]</c>.</summary>
    ResidPre,

    /// <summary>Each block's attention output at each position: <c>blocks.L.hook_attn_out[pos=T]</c>.</summary>
    AttnOut,

    /// <summary>Each block's MLP output at each position: <c>blocks.L.hook_mlp_out[pos=T]</c>.</summary>
    MlpOut,

    /// <summary>Each head's output at each position: <c>blocks.L.attn.hook_z[head=H, pos=T]</c>.</summary>
    Z,

    /// <summary>Each MLP neuron at every position: <c>blocks.L.mlp.hook_post[neuron=N]</c>.</summary>
    Neurons,
}

/// <summary>One patched node: its name in tables, the hook it writes and the elements of each row.</summary>
public sealed record PatchingNode(string Component, PatchingTarget Target, int Layer, string Hook, HookIndex Index);

/// <summary>The nodes of a model for each target, in model order.</summary>
public static class PatchingNodes
{
    public static IReadOnlyList<string> Names { get; } = ["resid_pre", "attn_out", "mlp_out", "z", "neurons"];

    public static PatchingTarget Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "resid_pre" => PatchingTarget.ResidPre,
        "attn_out" => PatchingTarget.AttnOut,
        "mlp_out" => PatchingTarget.MlpOut,
        "z" => PatchingTarget.Z,
        "neurons" => PatchingTarget.Neurons,
        _ => throw new AnalysisInputException($"'{name}' is not something to patch; give {string.Join(", ", Names)} (comma-separated)."),
    };

    public static IReadOnlyList<PatchingNode> Of(TransformerConfig config, IEnumerable<PatchingTarget> targets)
    {
        var nodes = new List<PatchingNode>();
        void Add(PatchingTarget target, int layer, string hook, HookIndex index) => nodes.Add(new PatchingNode(hook + index.Describe(), target, layer, hook, index));
        var wanted = targets.ToHashSet();
        for (var l = 0; l < config.NLayers; l++)
            foreach (var target in wanted.Order())
            {
                if (target == PatchingTarget.Neurons)
                {
                    for (var n = 0; n < config.DMlp; n++) Add(target, l, HookNames.MlpPost(l), new HookIndex(Neuron: n));
                    continue;
                }
                for (var t = 0; t < config.NCtx; t++)
                    switch (target)
                    {
                        case PatchingTarget.ResidPre: Add(target, l, HookNames.ResidPre(l), new HookIndex(Position: t)); break;
                        case PatchingTarget.AttnOut: Add(target, l, HookNames.AttnOut(l), new HookIndex(Position: t)); break;
                        case PatchingTarget.MlpOut: Add(target, l, HookNames.MlpOut(l), new HookIndex(Position: t)); break;
                        default:
                            for (var h = 0; h < config.NHeads; h++) Add(target, l, HookNames.Z(l), new HookIndex(Position: t, Head: h));
                            break;
                    }
            }
        return nodes;
    }
}
