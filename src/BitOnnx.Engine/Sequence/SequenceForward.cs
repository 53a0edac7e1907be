using BitOnnx.Core;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// The whole pass of a <see cref="SequenceModelConfig"/> model over tokens [rows, length]: resid_pre = W_E[token] +
/// W_pos[position]; per block resid_mid = resid_pre + attn(ln1(resid_pre)), resid_post = resid_mid + mlp(ln2(resid_mid));
/// logits = ln_final(resid_post)·W_U + b_U. Every activation through its TransformerLens hook when hooks are given.
/// </summary>
internal static class SequenceForward
{
    public static void Run(SequenceModelConfig c, ParameterSet p, SequenceLinears w, SequenceActivations s,
        ReadOnlySpan<int> tokens, SequenceHookPoints? hooks, int threads)
    {
        int rows = s.Rows, t = s.Length, n = rows * t, d = c.DModel;
        tokens.CopyTo(s.Tokens);
        var embed = p["embed.W_E"];
        var positions = p["pos_embed.W_pos"];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < t; i++)
            {
                var token = tokens[r * t + i];
                if ((uint)token >= (uint)c.DVocab)
                    throw new BitOnnxException($"Token {token} at row {r}, position {i} is outside the model's vocabulary; give tokens from 0 to {c.DVocab - 1}.");
                embed.Slice(token * d, d).CopyTo(s.Embed.AsSpan((r * t + i) * d, d));
                positions.Slice(i * d, d).CopyTo(s.PosEmbed.AsSpan((r * t + i) * d, d));
            }
        hooks?.At(HookNames.Embed, s.Embed);
        hooks?.At(HookNames.PosEmbed, s.PosEmbed);
        for (var l = 0; l < c.NLayers; l++)
        {
            var a = s.Layers[l];
            string prefix = $"blocks.{l}.";
            if (l == 0) ParallelRows.Add(s.Embed, s.PosEmbed, a.ResidPre, d, threads);
            else s.Layers[l - 1].ResidPost.CopyTo(a.ResidPre, 0);
            hooks?.At(HookNames.ResidPre(l), a.ResidPre);
            LayerNorm.Forward(n, d, a.ResidPre, p[prefix + "ln1.w"], p[prefix + "ln1.b"], a.Ln1, a.Ln1Mean, a.Ln1Rstd, threads);
            CausalAttention.Forward(c, rows, t, a.Ln1, w.Blocks[l], p, l, a, hooks, threads);
            ParallelRows.Add(a.ResidPre, a.AttnOut, a.ResidMid, d, threads);
            hooks?.At(HookNames.ResidMid(l), a.ResidMid);
            LayerNorm.Forward(n, d, a.ResidMid, p[prefix + "ln2.w"], p[prefix + "ln2.b"], a.Ln2, a.Ln2Mean, a.Ln2Rstd, threads);
            ReluMlp.Forward(c, n, a.Ln2, w.Blocks[l], p, l, a, hooks, threads);
            ParallelRows.Add(a.ResidMid, a.MlpOut, a.ResidPost, d, threads);
            hooks?.At(HookNames.ResidPost(l), a.ResidPost);
        }
        LayerNorm.Forward(n, d, s.Layers[^1].ResidPost, p["ln_final.w"], p["ln_final.b"], s.FinalNormalized, s.FinalMean, s.FinalRstd, threads);
        hooks?.At(HookNames.FinalNormalized, s.FinalNormalized);
        Gemm.Multiply(s.FinalNormalized, p["unembed.W_U"], s.Logits, n, c.DVocabOut, d, threads: threads);
        RowBias.Add(s.Logits, p["unembed.b_U"]);
        hooks?.At(HookNames.Logits, s.Logits);
    }
}
