namespace BitOnnx.Analysis.Inputs;

/// <summary>TransformerLens probe and weight names the analyses read.</summary>
public static class ProbeNames
{
    /// <summary>Token embeddings [batch, pos, d_model].</summary>
    public const string Embed = "hook_embed";

    /// <summary>Attention scores before softmax [batch, head, q_pos, k_pos].</summary>
    public const string AttentionScores = "blocks.0.attn.hook_attn_scores";

    /// <summary>Attention pattern after softmax [batch, head, q_pos, k_pos].</summary>
    public const string AttentionPattern = "blocks.0.attn.hook_pattern";

    /// <summary>MLP pre-activations [batch, pos, d_mlp].</summary>
    public const string MlpPre = "blocks.0.mlp.hook_pre";

    /// <summary>MLP activations after ReLU [batch, pos, d_mlp].</summary>
    public const string MlpPost = "blocks.0.mlp.hook_post";

    /// <summary>Residual stream after the block [batch, pos, d_model].</summary>
    public const string ResidPost = "blocks.0.hook_resid_post";

    /// <summary>Last-position logits [batch, P].</summary>
    public const string Logits = "logits";

    /// <summary>Every probe name an export with <c>--probes all</c> provides, in hook order.</summary>
    public static readonly IReadOnlyList<string> All =
        [Embed, AttentionScores, AttentionPattern, MlpPre, MlpPost, ResidPost, Logits];
}

/// <summary>TransformerLens weight names the analyses read.</summary>
public static class WeightNames
{
    /// <summary>Token embedding [d_vocab, d_model].</summary>
    public const string Embed = "embed.W_E";

    /// <summary>MLP output projection [d_mlp, d_model].</summary>
    public const string MlpOut = "blocks.0.mlp.W_out";

    /// <summary>Unembedding [d_model, P].</summary>
    public const string Unembed = "unembed.W_U";
}
