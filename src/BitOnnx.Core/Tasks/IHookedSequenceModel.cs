using BitOnnx.Core.Model;

namespace BitOnnx.Core.Tasks;

/// <summary>
/// A write into one hook of a sequence model's pass: <c>H' = Mask ? Values : H</c> elementwise, as
/// <see cref="Interventions.HookWrite"/> does for modular addition. <see cref="Mask"/> is one row of the hook
/// (<see cref="SequenceHooks.RowShape"/>, 1 = write), <see cref="Values"/> a row per batch row ([rows, row size]) or one
/// row for all ([row size]).
/// </summary>
public sealed record SequenceHookWrite(string Hook, float[] Mask, float[] Values);

/// <summary>
/// What one hooked pass gives: logits [rows, length, d_vocab_out] and each hook asked for, [rows, row size] row-major in
/// TransformerLens' shape (<see cref="SequenceHooks.RowShape"/>), after any write into it.
/// </summary>
public sealed record SequenceRun(float[] Logits, IReadOnlyDictionary<string, float[]> Hooks);

/// <summary>
/// A <see cref="SequenceModelConfig"/> model that runs with hooks read and written, whatever runs it (TorchSharp,
/// ONNX Runtime): what Quirke et al.'s tools (useful positions and nodes, attention tags, intervention ablation, PCA)
/// call, so that each tool is written once.
/// </summary>
public interface IHookedSequenceModel
{
    SequenceModelConfig Config { get; }

    /// <summary>One pass over tokens [rows, length] (row-major, length ≤ n_ctx), causal.</summary>
    /// <param name="writes">Hook writes, applied where the hook is computed, so that later hooks see them.</param>
    /// <param name="capture">Hooks to return (after their writes).</param>
    SequenceRun Run(int[] tokens, int rows, int length, IReadOnlyList<SequenceHookWrite> writes, IReadOnlyCollection<string> capture);
}

/// <summary>The hooks of a <see cref="SequenceModelConfig"/> model and the shape of one row of each.</summary>
public static class SequenceHooks
{
    /// <summary>Every hook in forward order with its shape for one sequence of <paramref name="length"/> tokens.</summary>
    public static IReadOnlyList<(string Name, Shape Shape)> For(SequenceModelConfig c, int length)
    {
        int t = length, d = c.DModel, h = c.NHeads, e = c.DHead, m = c.DMlp;
        var hooks = new List<(string, Shape)> { (HookNames.Embed, new Shape(t, d)), (HookNames.PosEmbed, new Shape(t, d)) };
        for (var l = 0; l < c.NLayers; l++)
        {
            hooks.Add((HookNames.ResidPre(l), new Shape(t, d)));
            hooks.Add((HookNames.Q(l), new Shape(t, h, e)));
            hooks.Add((HookNames.K(l), new Shape(t, h, e)));
            hooks.Add((HookNames.V(l), new Shape(t, h, e)));
            hooks.Add((HookNames.AttnScores(l), new Shape(h, t, t)));
            hooks.Add((HookNames.Pattern(l), new Shape(h, t, t)));
            hooks.Add((HookNames.Z(l), new Shape(t, h, e)));
            hooks.Add((HookNames.AttnOut(l), new Shape(t, d)));
            hooks.Add((HookNames.ResidMid(l), new Shape(t, d)));
            hooks.Add((HookNames.MlpPre(l), new Shape(t, m)));
            hooks.Add((HookNames.MlpPost(l), new Shape(t, m)));
            hooks.Add((HookNames.MlpOut(l), new Shape(t, d)));
            hooks.Add((HookNames.ResidPost(l), new Shape(t, d)));
        }
        hooks.Add((HookNames.FinalNormalized, new Shape(t, d)));
        hooks.Add((HookNames.Logits, new Shape(t, c.DVocabOut)));
        return hooks;
    }

    /// <summary>The shape of one row of <paramref name="hook"/>; a hook the model does not compute is a one-sentence <see cref="BitOnnxException"/>.</summary>
    public static Shape RowShape(SequenceModelConfig c, string hook, int length)
    {
        foreach (var (name, shape) in For(c, length))
            if (name == hook) return shape;
        throw new BitOnnxException($"'{hook}' is not a hook of this {c.NLayers}-layer model; its hooks are hook_embed, hook_pos_embed, " +
            $"blocks.L.hook_resid_pre/mid/post, blocks.L.attn.hook_q/k/v/attn_scores/pattern/z, blocks.L.hook_attn_out, " +
            $"blocks.L.mlp.hook_pre/post, blocks.L.hook_mlp_out, ln_final.hook_normalized and logits, L from 0 to {c.NLayers - 1}.");
    }
}
