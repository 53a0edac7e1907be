using BitOnnx.Core.Model;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// blocks.l.mlp: pre = x·W_in + b_in, post = ReLU(pre), out = post·W_out + b_out, as <see cref="Gemm"/> products.
/// Backward: dW_out += postᵀ·dout, dpost = dout·W_outᵀ, dpre = dpost where pre &gt; 0 (torch's ReLU backward),
/// dW_in += xᵀ·dpre, dx = dpre·W_inᵀ. Buffers: x, out [N, d_model]; pre, post [N, d_mlp].
/// </summary>
internal static class ReluMlp
{
    public static void Forward(SequenceModelConfig c, SequenceActivations s, float[] x, SequenceLinears.Block w, ParameterSet p, int layer,
        SequenceActivations.Layer a, SequenceHookPoints? hooks, int threads)
    {
        int n = s.N, d = c.DModel, m = c.DMlp;
        string prefix = $"blocks.{layer}.mlp.";
        Gemm.Multiply(x, w.In, a.Pre, n, m, d, threads: threads);
        RowBias.Add(s.Used(a.Pre, m), p[prefix + "b_in"]);
        hooks?.At(HookNames.MlpPre(layer), s.Used(a.Pre, m));
        for (var i = 0; i < n * m; i++) a.Post[i] = MathF.Max(a.Pre[i], 0f);
        hooks?.At(HookNames.MlpPost(layer), s.Used(a.Post, m));
        Gemm.Multiply(a.Post, w.Out, a.MlpOut, n, d, m, threads: threads);
        RowBias.Add(s.Used(a.MlpOut, d), p[prefix + "b_out"]);
        hooks?.At(HookNames.MlpOut(layer), s.Used(a.MlpOut, d));
    }

    /// <summary>Writes dx into <paramref name="dX"/> from dout and adds the weight and bias gradients.</summary>
    public static void Backward(SequenceModelConfig c, SequenceActivations s, float[] x, SequenceLinears.Block w, SequenceLinears.Block dW,
        ParameterSet gradient, int layer, SequenceActivations.Layer a, float[] dOut, float[] dHidden, float[] dX, int threads)
    {
        int n = s.N, d = c.DModel, m = c.DMlp;
        string prefix = $"blocks.{layer}.mlp.";
        RowBias.SumRowsInto(s.Used(dOut, d), gradient[prefix + "b_out"]);
        Gemm.Multiply(a.Post, dOut, dW.Out, m, d, n, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(dOut, w.Out, dHidden, n, m, d, transposeB: true, threads: threads);
        for (var i = 0; i < n * m; i++)
            if (!(a.Pre[i] > 0f)) dHidden[i] = 0f;
        Gemm.Multiply(x, dHidden, dW.In, d, m, n, transposeA: true, accumulate: true, threads: threads);
        RowBias.SumRowsInto(s.Used(dHidden, m), gradient[prefix + "b_in"]);
        Gemm.Multiply(dHidden, w.In, dX, n, d, m, transposeB: true, threads: threads);
    }
}
