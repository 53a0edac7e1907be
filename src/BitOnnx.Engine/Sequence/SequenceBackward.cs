using BitOnnx.Core.Model;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// The gradient of a loss with respect to every parameter of a <see cref="SequenceModelConfig"/> model, from the
/// gradient at the logits (<see cref="SequenceActivations.GradientBuffers.DLogits"/>) and the activations of the pass that made them:
/// the forward pass in reverse, the residual stream's gradient carried through every skip connection
/// (<see cref="SequenceActivations.GradientBuffers.DResid"/>), the block linears' gradients through the straight-through estimator.
/// </summary>
internal static class SequenceBackward
{
    /// <summary>Overwrites <paramref name="gradient"/>; <paramref name="dW"/> is scratch for the effective linears' gradients.</summary>
    public static void Run(SequenceModelConfig c, ParameterSet p, SequenceLinears w, SequenceLinears dW, SequenceActivations s,
        ParameterSet gradient, int threads)
    {
        int rows = s.Rows, t = s.Length, n = rows * t, d = c.DModel, o = c.DVocabOut;
        var g = s.Gradients;
        Array.Clear(gradient.Data);
        dW.Clear();
        RowBias.SumRowsInto(s.Used(g.DLogits, o), gradient["unembed.b_U"]);
        Gemm.Multiply(s.FinalNormalized, g.DLogits, gradient["unembed.W_U"], d, o, n, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(g.DLogits, p["unembed.W_U"], g.DNormalized, n, d, o, transposeB: true, threads: threads);
        s.Used(g.DResid, d).Clear();
        LayerNorm.Backward(n, d, s.Layers[^1].ResidPost, p["ln_final.w"], s.FinalMean, s.FinalRstd, g.DNormalized, g.DResid,
            gradient["ln_final.w"], gradient["ln_final.b"]);
        for (var l = c.NLayers - 1; l >= 0; l--)
        {
            var a = s.Layers[l];
            string prefix = $"blocks.{l}.";
            // DResid holds the gradient at resid_post, which is also the gradient at mlp_out and (through the skip) at resid_mid.
            ReluMlp.Backward(c, s, a.Ln2, w.Blocks[l], dW.Blocks[l], gradient, l, a, g.DResid, g.DHidden, g.DNormalized, threads);
            LayerNorm.Backward(n, d, a.ResidMid, p[prefix + "ln2.w"], a.Ln2Mean, a.Ln2Rstd, g.DNormalized, g.DResid,
                gradient[prefix + "ln2.w"], gradient[prefix + "ln2.b"]);
            CausalAttention.Backward(c, s, a.Ln1, w.Blocks[l], dW.Blocks[l], gradient, l, a, g.DResid, g.DNormalized, threads);
            LayerNorm.Backward(n, d, a.ResidPre, p[prefix + "ln1.w"], a.Ln1Mean, a.Ln1Rstd, g.DNormalized, g.DResid,
                gradient[prefix + "ln1.w"], gradient[prefix + "ln1.b"]);
        }
        var dEmbed = gradient["embed.W_E"];
        var dPositions = gradient["pos_embed.W_pos"];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < t; i++)
            {
                var row = g.DResid.AsSpan((r * t + i) * d, d);
                var token = s.Tokens[r * t + i];
                var e = dEmbed.Slice(token * d, d);
                var q = dPositions.Slice(i * d, d);
                for (var k = 0; k < d; k++)
                {
                    e[k] += row[k];
                    q[k] += row[k];
                }
            }
        dW.AccumulateInto(gradient);
    }
}
