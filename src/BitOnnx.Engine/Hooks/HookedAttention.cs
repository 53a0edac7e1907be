using BitOnnx.Engine.Kernels;
using BitOnnx.Engine.Layers;

namespace BitOnnx.Engine.Hooks;

/// <summary>
/// The parts of attention mixing that a pattern write reaches, which <see cref="AttentionMixing"/> (one fused pass from
/// scores to z, its backward from one pattern) does not expose: z from a written pattern, and a backward pass that gives
/// the gradient at the pattern and at the scores as well as at q, k and v. Every position is a query position.
/// Buffers: q, k, v, z [rows, T, heads, dHead]; scores, softmax, pattern [rows, heads, T, T].
/// Plain loops: at three positions a head's work is a few dot products of dHead floats.
/// </summary>
internal static class HookedAttention
{
    /// <summary>
    /// z[i] = Σ_j pattern[i, j] · v[j] over every key position, one fused multiply-add per term in j order from zero: the
    /// chain <see cref="AttentionMixing.Forward"/> computes, so an unwritten row comes out the same to the bit (its masked
    /// terms are 0 · v, which leave a sum unchanged). A written pattern may weigh masked positions; they count.
    /// </summary>
    public static void Mix(AttentionDims d, float[] pattern, float[] v, float[] z, int threads)
    {
        RequireEveryPositionQueried(d);
        int t = d.Positions, e = d.DHead, w = d.Width;
        ParallelRows.For(d.Batch, threads, (first, last) =>
        {
            for (var n = first; n < last; n++)
                for (var h = 0; h < d.Heads; h++)
                    for (var i = 0; i < t; i++)
                    {
                        var output = z.AsSpan((n * t + i) * w + h * e, e);
                        output.Clear();
                        for (var j = 0; j < t; j++)
                        {
                            var weight = pattern[((n * d.Heads + h) * t + i) * t + j];
                            var value = v.AsSpan((n * t + j) * w + h * e, e);
                            for (var x = 0; x < e; x++) output[x] = MathF.FusedMultiplyAdd(value[x], weight, output[x]);
                        }
                    }
        });
    }

    /// <summary>
    /// From dz (the gradient at z, after z's own writes blocked theirs): dPattern = dz · vᵀ at every entry (what a write
    /// there would see), dv = patternᵀ · dz with the pattern as used; where the pattern was overwritten
    /// (<paramref name="patternOverwritten"/>, one row [heads, T, T]) nothing reaches the softmax, elsewhere
    /// dScores[j] = s[j] · Σ_k s[k] (g[j] − g[k]) with s the softmax before the writes and g the pattern's gradient; then
    /// dq = scale · dScores · k and dk = scale · dScoresᵀ · q. Masked scores have s = 0, so their gradient is 0.
    /// That is s ⊙ (g − Σ s·g) (as Σ s = 1) without its cancellation: when one key takes nearly all the weight,
    /// g[j] − Σ s·g rounds to 0 in float for that key however large the gradient of the others, and a patch that moves
    /// the score a long way (a binary model's scores reach hundreds) multiplies that loss. Overwrites every output.
    /// </summary>
    public static void Backward(AttentionDims d, float scale, float[] q, float[] k, float[] v, float[] softmax, float[] pattern,
        float[] dz, bool[] patternOverwritten, float[] dPattern, float[] dScores, float[] dq, float[] dk, float[] dv, int threads)
    {
        RequireEveryPositionQueried(d);
        int t = d.Positions, e = d.DHead, w = d.Width;
        ParallelRows.For(d.Batch, threads, (first, last) =>
        {
            var reaching = new float[t];
            for (var n = first; n < last; n++)
            {
                dq.AsSpan(n * t * w, t * w).Clear();
                dk.AsSpan(n * t * w, t * w).Clear();
                dv.AsSpan(n * t * w, t * w).Clear();
                for (var h = 0; h < d.Heads; h++)
                    for (var i = 0; i < t; i++)
                    {
                        var row = ((n * d.Heads + h) * t + i) * t;
                        var gradOut = dz.AsSpan((n * t + i) * w + h * e, e);
                        for (var j = 0; j < t; j++)
                        {
                            var value = v.AsSpan((n * t + j) * w + h * e, e);
                            var gradValue = dv.AsSpan((n * t + j) * w + h * e, e);
                            var dot = 0f;
                            for (var x = 0; x < e; x++)
                            {
                                dot += gradOut[x] * value[x];
                                gradValue[x] += pattern[row + j] * gradOut[x];
                            }
                            dPattern[row + j] = dot;
                            reaching[j] = patternOverwritten[(h * t + i) * t + j] ? 0f : dot;
                        }
                        var query = q.AsSpan((n * t + i) * w + h * e, e);
                        var gradQuery = dq.AsSpan((n * t + i) * w + h * e, e);
                        for (var j = 0; j < t; j++)
                        {
                            var spread = 0f;
                            for (var x = 0; x < t; x++) spread += softmax[row + x] * (reaching[j] - reaching[x]);
                            var gradScore = softmax[row + j] * spread;
                            dScores[row + j] = gradScore;
                            var key = k.AsSpan((n * t + j) * w + h * e, e);
                            var gradKey = dk.AsSpan((n * t + j) * w + h * e, e);
                            for (var x = 0; x < e; x++)
                            {
                                gradQuery[x] += scale * gradScore * key[x];
                                gradKey[x] += scale * gradScore * query[x];
                            }
                        }
                    }
            }
        });
    }

    private static void RequireEveryPositionQueried(AttentionDims d)
    {
        if (d.QueryOffset != 0 || d.QueryPositions != d.Positions)
            throw new ArgumentException($"Hooked attention queries every position; got {d.QueryPositions} of {d.Positions} from {d.QueryOffset}.");
    }
}
