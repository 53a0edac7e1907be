using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis.Interventions;

/// <summary>What an ablation table ablates, one component at a time.</summary>
public enum AblationTarget
{
    /// <summary>Each attention head's output z, at every position: <c>blocks.L.attn.hook_z[head=H]</c>.</summary>
    Heads,

    /// <summary>Each MLP neuron, at every position: <c>blocks.L.mlp.hook_post[neuron=N]</c>.</summary>
    Neurons,

    /// <summary>Each position of the residual stream entering block 0: <c>blocks.0.hook_resid_pre[pos=T]</c>.</summary>
    Positions,

    /// <summary>Each block's MLP output: <c>blocks.L.hook_mlp_out</c>.</summary>
    Mlp,

    /// <summary>Each block's attention output: <c>blocks.L.hook_attn_out</c>.</summary>
    Attn,
}

/// <summary>One row of an ablation table: its name as TransformerLens indexes it, and the intervention that ablates it.</summary>
public sealed record AblationComponent(string Name, AblationTarget Target, int Layer, Intervention Intervention);

/// <summary>The components of a model for each target, in model order.</summary>
public static class AblationTargets
{
    public static IReadOnlyList<string> Names { get; } = ["heads", "neurons", "positions", "mlp", "attn"];

    public static AblationTarget Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "heads" => AblationTarget.Heads,
        "neurons" => AblationTarget.Neurons,
        "positions" => AblationTarget.Positions,
        "mlp" => AblationTarget.Mlp,
        "attn" => AblationTarget.Attn,
        _ => throw new AnalysisInputException($"'{name}' is not something to ablate; give {string.Join(", ", Names)} (comma-separated)."),
    };

    public static IReadOnlyList<AblationComponent> Of(TransformerConfig config, IEnumerable<AblationTarget> targets, InterventionKind kind)
    {
        var components = new List<AblationComponent>();
        AblationComponent Make(AblationTarget target, int layer, string hook, HookIndex index) =>
            new(hook + index.Describe(), target, layer, new Intervention(hook, index, kind));
        foreach (var target in targets.Distinct().Order())
        {
            if (target == AblationTarget.Positions)
            {
                for (var t = 0; t < config.NCtx; t++) components.Add(Make(target, 0, HookNames.ResidPre(0), new HookIndex(Position: t)));
                continue;
            }
            for (var l = 0; l < config.NLayers; l++)
            {
                switch (target)
                {
                    case AblationTarget.Heads:
                        for (var h = 0; h < config.NHeads; h++) components.Add(Make(target, l, HookNames.Z(l), new HookIndex(Head: h)));
                        break;
                    case AblationTarget.Neurons:
                        for (var n = 0; n < config.DMlp; n++) components.Add(Make(target, l, HookNames.MlpPost(l), new HookIndex(Neuron: n)));
                        break;
                    case AblationTarget.Mlp:
                        components.Add(Make(target, l, HookNames.MlpOut(l), HookIndex.All));
                        break;
                    default:
                        components.Add(Make(target, l, HookNames.AttnOut(l), HookIndex.All));
                        break;
                }
            }
        }
        return components;
    }
}
