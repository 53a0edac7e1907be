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
    public static void Forward(SequenceModelConfig c, int n, float[] x, SequenceLinears.Block w, ParameterSet p, int layer,
        SequenceActivations.Layer a, SequenceHookPoints? hooks, int threads)
    {
        int d = c.DModel, m = c.DMlp;
        string prefix = $"blocks.{layer}.mlp.";
        Gemm.Multiply(x, w.In, a.Pre, n, m, d, threads: threads);
        RowBias.Add(a.Pre, p[prefix + "b_in"]);
        hooks?.At(HookNames.MlpPre(layer), a.Pre);
        for (var i = 0; i < a.Pre.Length; i++) a.Post[i] = MathF.Max(a.Pre[i], 0f);
        hooks?.At(HookNames.MlpPost(layer), a.Post);
        Gemm.Multiply(a.Post, w.Out, a.MlpOut, n, d, m, threads: threads);
        RowBias.Add(a.MlpOut, p[prefix + "b_out"]);
        hooks?.At(HookNames.MlpOut(layer), a.MlpOut);
    }

    /// <summary>Writes dx into <paramref name="dX"/> from dout and adds the weight and bias gradients.</summary>
    public static void Backward(SequenceModelConfig c, int n, float[] x, SequenceLinears.Block w, SequenceLinears.Block dW,
        ParameterSet gradient, int layer, SequenceActivations.Layer a, float[] dOut, float[] dHidden, float[] dX, int threads)
    {
        int d = c.DModel, m = c.DMlp;
        string prefix = $"blocks.{layer}.mlp.";
        RowBias.SumRowsInto(dOut, gradient[prefix + "b_out"]);
        Gemm.Multiply(a.Post, dOut, dW.Out, m, d, n, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(dOut, w.Out, dHidden, n, m, d, transposeB: true, threads: threads);
        for (var i = 0; i < dHidden.Length; i++)
            if (!(a.Pre[i] > 0f)) dHidden[i] = 0f;
        Gemm.Multiply(x, dHidden, dW.In, d, m, n, transposeA: true, accumulate: true, threads: threads);
        RowBias.SumRowsInto(dHidden, gradient[prefix + "b_in"]);
        Gemm.Multiply(dHidden, w.In, dX, n, d, m, transposeB: true, threads: threads);
    }
}
