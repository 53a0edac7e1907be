using System.Numerics.Tensors;
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
        int rows = s.Rows, t = s.Length, n = rows * t, d = c.DModel, o = c.DVocabOut;
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
        hooks?.At(HookNames.Embed, s.Used(s.Embed, d));
        hooks?.At(HookNames.PosEmbed, s.Used(s.PosEmbed, d));
        for (var l = 0; l < c.NLayers; l++)
        {
            var a = s.Layers[l];
            string prefix = $"blocks.{l}.";
            if (l == 0) TensorPrimitives.Add(s.Used(s.Embed, d), s.Used(s.PosEmbed, d), s.Used(a.ResidPre, d));
            else s.Used(s.Layers[l - 1].ResidPost, d).CopyTo(a.ResidPre);
            hooks?.At(HookNames.ResidPre(l), s.Used(a.ResidPre, d));
            LayerNorm.Forward(n, d, a.ResidPre, p[prefix + "ln1.w"], p[prefix + "ln1.b"], a.Ln1, a.Ln1Mean, a.Ln1Rstd, threads);
            CausalAttention.Forward(c, s, a.Ln1, w.Blocks[l], p, l, a, hooks, threads);
            TensorPrimitives.Add(s.Used(a.ResidPre, d), s.Used(a.AttnOut, d), s.Used(a.ResidMid, d));
            hooks?.At(HookNames.ResidMid(l), s.Used(a.ResidMid, d));
            LayerNorm.Forward(n, d, a.ResidMid, p[prefix + "ln2.w"], p[prefix + "ln2.b"], a.Ln2, a.Ln2Mean, a.Ln2Rstd, threads);
            ReluMlp.Forward(c, s, a.Ln2, w.Blocks[l], p, l, a, hooks, threads);
            TensorPrimitives.Add(s.Used(a.ResidMid, d), s.Used(a.MlpOut, d), s.Used(a.ResidPost, d));
            hooks?.At(HookNames.ResidPost(l), s.Used(a.ResidPost, d));
        }
        LayerNorm.Forward(n, d, s.Layers[^1].ResidPost, p["ln_final.w"], p["ln_final.b"], s.FinalNormalized, s.FinalMean, s.FinalRstd, threads);
        hooks?.At(HookNames.FinalNormalized, s.Used(s.FinalNormalized, d));
        Gemm.Multiply(s.FinalNormalized, p["unembed.W_U"], s.Logits, n, c.DVocabOut, d, threads: threads);
        RowBias.Add(s.Used(s.Logits, o), p["unembed.b_U"]);
        hooks?.At(HookNames.Logits, s.Used(s.Logits, o));
    }
}
