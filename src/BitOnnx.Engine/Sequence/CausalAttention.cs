using BitOnnx.Core.Model;
using BitOnnx.Engine.Kernels;
using BitOnnx.Engine.Layers;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// blocks.l.attn of a <see cref="SequenceModelConfig"/> model: q, k, v = x·W + b per head, causal scores
/// q·k / sqrt(d_head), softmax, z = pattern·v, out = z·W_O + b_O. The projections are <see cref="Gemm"/> products, the
/// scores, softmax and mixing <see cref="AttentionMixing"/> (the modular model's kernels, called as they are). Buffers
/// as <see cref="SequenceActivations.Layer"/>: x [N, d_model], Q/K/V/Z [N, heads·d_head] (TransformerLens' [.., heads,
/// d_head] row-major), Scores/Pattern [rows, heads, length, length] with −∞ at masked scores, as TransformerLens.
/// Backward: dW_O += zᵀ·dout, dz = dout·W_Oᵀ, the mixing's backward, dW += xᵀ·dq (and k, v), dx = dq·W_Qᵀ + dk·W_Kᵀ + dv·W_Vᵀ.
/// </summary>
internal static class CausalAttention
{
    public static void Forward(SequenceModelConfig c, SequenceActivations s, float[] x, SequenceLinears.Block w, ParameterSet p,
        int layer, SequenceActivations.Layer a, SequenceHookPoints? hooks, int threads)
    {
        int rows = s.Rows, length = s.Length, n = s.N, d = c.DModel, width = c.NHeads * c.DHead;
        string prefix = $"blocks.{layer}.attn.";
        Project(x, w.Query, p[prefix + "b_Q"], s.Used(a.Q, width), n, d, width, threads);
        Project(x, w.Key, p[prefix + "b_K"], s.Used(a.K, width), n, d, width, threads);
        Project(x, w.Value, p[prefix + "b_V"], s.Used(a.V, width), n, d, width, threads);
        hooks?.At(HookNames.Q(layer), s.Used(a.Q, width));
        hooks?.At(HookNames.K(layer), s.Used(a.K, width));
        hooks?.At(HookNames.V(layer), s.Used(a.V, width));
        var dims = Dims(c, rows, length);
        float scale = (float)c.ScoreScale;
        AttentionMixing.Forward(dims, scale, causal: true, a.Q, a.K, a.V, a.Scores, a.Pattern, a.Z, threads);
        if (hooks is not null)
        {
            bool scoresWritten = hooks.Writes(HookNames.AttnScores(layer));
            hooks.At(HookNames.AttnScores(layer), s.UsedScores(a.Scores));
            if (scoresWritten) Softmax(s.UsedScores(a.Scores), s.UsedScores(a.Pattern), length);
            bool patternWritten = hooks.Writes(HookNames.Pattern(layer));
            hooks.At(HookNames.Pattern(layer), s.UsedScores(a.Pattern));
            if (scoresWritten || patternWritten) Mix(dims, a.Pattern, a.V, a.Z);
            hooks.At(HookNames.Z(layer), s.Used(a.Z, width));
        }
        Gemm.Multiply(a.Z, w.Output, a.AttnOut, n, d, width, threads: threads);
        RowBias.Add(s.Used(a.AttnOut, d), p[prefix + "b_O"]);
        hooks?.At(HookNames.AttnOut(layer), s.Used(a.AttnOut, d));
    }

    /// <summary>
    /// From dout (the gradient at hook_attn_out, the residual stream's) writes dx, the gradient at the normalized
    /// input, into <paramref name="dX"/>, and adds the weight and bias gradients.
    /// </summary>
    public static void Backward(SequenceModelConfig c, SequenceActivations s, float[] x, SequenceLinears.Block w,
        SequenceLinears.Block dW, ParameterSet gradient, int layer, SequenceActivations.Layer a, float[] dOut, float[] dX, int threads)
    {
        int rows = s.Rows, length = s.Length, n = s.N, d = c.DModel, width = c.NHeads * c.DHead;
        var g = s.Gradients;
        string prefix = $"blocks.{layer}.attn.";
        RowBias.SumRowsInto(s.Used(dOut, d), gradient[prefix + "b_O"]);
        Gemm.Multiply(a.Z, dOut, dW.Output, width, d, n, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(dOut, w.Output, g.DZ, n, width, d, transposeB: true, threads: threads);
        AttentionMixing.Backward(Dims(c, rows, length), (float)c.ScoreScale, a.Q, a.K, a.V, a.Pattern, g.DZ, g.DQ, g.DK, g.DV, threads);
        var accumulate = false;
        foreach (var (dProjection, weight, weightGradient, bias) in new[]
        {
            (g.DQ, w.Query, dW.Query, "b_Q"), (g.DK, w.Key, dW.Key, "b_K"), (g.DV, w.Value, dW.Value, "b_V"),
        })
        {
            Gemm.Multiply(x, dProjection, weightGradient, d, width, n, transposeA: true, accumulate: true, threads: threads);
            RowBias.SumRowsInto(s.Used(dProjection, width), gradient[prefix + bias]);
            Gemm.Multiply(dProjection, weight, dX, n, d, width, transposeB: true, accumulate: accumulate, threads: threads);
            accumulate = true;
        }
    }

    private static AttentionDims Dims(SequenceModelConfig c, int rows, int length) =>
        new(rows, length, length, c.NHeads, c.DHead, QueryOffset: 0);

    private static void Project(float[] x, float[] weight, ReadOnlySpan<float> bias, Span<float> output, int n, int d, int width, int threads)
    {
        Gemm.Multiply(x, weight, output, n, width, d, threads: threads);
        RowBias.Add(output, bias);
    }

    /// <summary>Pattern rows from written scores: softmax over every key, a −∞ score (the mask) weighing zero.</summary>
    private static void Softmax(Span<float> scores, Span<float> pattern, int length)
    {
        for (var start = 0; start < scores.Length; start += length)
        {
            var row = scores.Slice(start, length);
            var output = pattern.Slice(start, length);
            var max = float.NegativeInfinity;
            foreach (var v in row) max = MathF.Max(max, v);
            var sum = 0f;
            for (var j = 0; j < length; j++) sum += output[j] = MathF.Exp(row[j] - max);
            for (var j = 0; j < length; j++) output[j] /= sum;
        }
    }

    /// <summary>z = pattern·v per sample and head, every key read (a written pattern may weigh a later one).</summary>
    private static void Mix(AttentionDims dims, float[] pattern, float[] v, float[] z)
    {
        int t = dims.Positions, e = dims.DHead, width = dims.Width;
        z.AsSpan(0, dims.Batch * t * width).Clear();
        for (var r = 0; r < dims.Batch; r++)
            for (var h = 0; h < dims.Heads; h++)
                for (var i = 0; i < t; i++)
                {
                    var weights = pattern.AsSpan(((r * dims.Heads + h) * t + i) * t, t);
                    var output = z.AsSpan((r * t + i) * width + h * e, e);
                    for (var j = 0; j < t; j++)
                    {
                        var value = v.AsSpan((r * t + j) * width + h * e, e);
                        for (var k = 0; k < e; k++) output[k] += weights[j] * value[k];
                    }
                }
    }
}
