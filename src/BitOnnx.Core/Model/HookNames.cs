namespace BitOnnx.Core.Model;

/// <summary>
/// TransformerLens hook names of the activations a model exposes, in forward order. ONNX probes use the same names,
/// so the engine's cache and an exported graph can be compared name by name.
/// </summary>
public static class HookNames
{
    public const string Embed = "hook_embed";
    public const string PosEmbed = "hook_pos_embed";
    public const string FinalNormalized = "ln_final.hook_normalized";
    public const string Logits = "logits";

    public static string ResidPre(int l) => $"blocks.{l}.hook_resid_pre";
    public static string Q(int l) => $"blocks.{l}.attn.hook_q";
    public static string K(int l) => $"blocks.{l}.attn.hook_k";
    public static string V(int l) => $"blocks.{l}.attn.hook_v";
    public static string AttnScores(int l) => $"blocks.{l}.attn.hook_attn_scores";
    public static string Pattern(int l) => $"blocks.{l}.attn.hook_pattern";
    public static string Z(int l) => $"blocks.{l}.attn.hook_z";
    public static string AttnOut(int l) => $"blocks.{l}.hook_attn_out";
    public static string ResidMid(int l) => $"blocks.{l}.hook_resid_mid";
    public static string MlpPre(int l) => $"blocks.{l}.mlp.hook_pre";
    public static string MlpPost(int l) => $"blocks.{l}.mlp.hook_post";
    public static string MlpOut(int l) => $"blocks.{l}.hook_mlp_out";
    public static string ResidPost(int l) => $"blocks.{l}.hook_resid_post";

    /// <summary>Every hook of a config with its shape for a batch of <paramref name="batch"/> sequences, in forward order.</summary>
    public static IReadOnlyList<(string Name, Shape Shape)> For(TransformerConfig c, int batch)
    {
        int t = c.NCtx, d = c.DModel, h = c.NHeads, e = c.DHead, m = c.DMlp;
        var hooks = new List<(string, Shape)> { (Embed, new Shape(batch, t, d)) };
        if (c.PositionalEmbedding) hooks.Add((PosEmbed, new Shape(batch, t, d)));
        for (var l = 0; l < c.NLayers; l++)
        {
            hooks.Add((ResidPre(l), new Shape(batch, t, d)));
            hooks.Add((Q(l), new Shape(batch, t, h, e)));
            hooks.Add((K(l), new Shape(batch, t, h, e)));
            hooks.Add((V(l), new Shape(batch, t, h, e)));
            hooks.Add((AttnScores(l), new Shape(batch, h, t, t)));
            hooks.Add((Pattern(l), new Shape(batch, h, t, t)));
            hooks.Add((Z(l), new Shape(batch, t, h, e)));
            hooks.Add((AttnOut(l), new Shape(batch, t, d)));
            hooks.Add((ResidMid(l), new Shape(batch, t, d)));
            hooks.Add((MlpPre(l), new Shape(batch, t, m)));
            hooks.Add((MlpPost(l), new Shape(batch, t, m)));
            hooks.Add((MlpOut(l), new Shape(batch, t, d)));
            hooks.Add((ResidPost(l), new Shape(batch, t, d)));
        }
        if (c.FinalNorm) hooks.Add((FinalNormalized, new Shape(batch, t, d)));
        hooks.Add((Logits, new Shape(batch, c.DVocabOut)));
        return hooks;
    }
}
