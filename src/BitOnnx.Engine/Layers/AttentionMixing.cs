using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Layers;

/// <summary>Sizes of one attention mixing step: queries at positions QueryOffset.. of a context of Positions tokens.</summary>
public readonly record struct AttentionDims(int Batch, int QueryPositions, int Positions, int Heads, int DHead, int QueryOffset)
{
    public int Width => Heads * DHead;
}

/// <summary>
/// Scores, softmax and the weighted sum of values: everything in attention between the Q/K/V projections and W_O.
/// Buffers: q, z [batch, queryPositions, heads, dHead]; k, v [batch, positions, heads, dHead];
/// scores, pattern [batch, heads, queryPositions, positions] (masked scores are −∞, as in TransformerLens).
/// </summary>
public static class AttentionMixing
{
    /// <summary>
    /// With <paramref name="keyValueRows"/> [batch, positions], k and v are tables, and the key and value of sample n at
    /// position j are their rows keyValueRows[n·positions + j] (block 0 reads its per-(position, token) tables in place
    /// instead of copying 2 × 5.9 MB of rows out of them at P = 113); empty, k and v are [batch, positions, heads, dHead].
    /// </summary>
    public static void Forward(AttentionDims d, float scale, bool causal,
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> scores, Span<float> pattern, Span<float> z, int threads, ReadOnlySpan<int> keyValueRows = default)
    {
        using var timing = Training.EpochProfile.Time(Training.EpochPart.AttentionMixing);
        RequireRows(d, keyValueRows);
        unsafe
        {
            fixed (float* pq = q, pk = k, pv = v, ps = scores, pp = pattern, pz = z)
            fixed (int* pr = keyValueRows)
            {
                nint q0 = (nint)pq, k0 = (nint)pk, v0 = (nint)pv, s0 = (nint)ps, p0 = (nint)pp, z0 = (nint)pz, r0 = (nint)pr;
                ParallelRows.For(d.Batch, threads, (start, end) =>
                {
                    for (var n = start; n < end; n++)
                        ForwardSample(d, scale, causal, n, (float*)q0, (float*)k0, (float*)v0, (float*)s0, (float*)p0, (float*)z0, (int*)r0);
                });
            }
        }
    }

    private static void RequireRows(AttentionDims d, ReadOnlySpan<int> keyValueRows)
    {
        if (!keyValueRows.IsEmpty && keyValueRows.Length != d.Batch * d.Positions)
            throw new ArgumentException($"keyValueRows holds {keyValueRows.Length} rows; it needs one per sample and position, {d.Batch * d.Positions}.", nameof(keyValueRows));
    }

    /// <summary>Offset of the key and value of sample n at position j: in the tables when there are rows, else in [B, T, W].</summary>
    private static unsafe long KeyValueOffset(AttentionDims d, int* rows, int n, int j)
    {
        var index = (long)n * d.Positions + j;
        return (rows == null ? index : rows[index]) * d.Width;
    }

    private static unsafe void ForwardSample(AttentionDims d, float scale, bool causal, int n,
        float* q, float* k, float* v, float* scores, float* pattern, float* z, int* rows)
    {
        int t = d.Positions, e = d.DHead, w = d.Width;
        for (var h = 0; h < d.Heads; h++)
            for (var i = 0; i < d.QueryPositions; i++)
            {
                var query = q + ((long)n * d.QueryPositions + i) * w + h * e;
                var rowOffset = (((long)n * d.Heads + h) * d.QueryPositions + i) * t;
                var scoreRow = new Span<float>(scores + rowOffset, t);
                var patternRow = new Span<float>(pattern + rowOffset, t);
                var visible = causal ? d.QueryOffset + i + 1 : t;
                var max = float.NegativeInfinity;
                for (var j = 0; j < t; j++)
                {
                    if (j >= visible)
                    {
                        scoreRow[j] = float.NegativeInfinity;
                        continue;
                    }
                    scoreRow[j] = scale * SmallVectors.Dot(query, k + KeyValueOffset(d, rows, n, j) + h * e, e);
                    max = MathF.Max(max, scoreRow[j]);
                }
                var sum = 0f;
                for (var j = 0; j < t; j++)
                {
                    patternRow[j] = j < visible ? MathF.Exp(scoreRow[j] - max) : 0f;
                    sum += patternRow[j];
                }
                var output = z + ((long)n * d.QueryPositions + i) * w + h * e;
                new Span<float>(output, e).Clear();
                for (var j = 0; j < visible; j++)
                {
                    patternRow[j] /= sum;
                    SmallVectors.Axpy(output, v + KeyValueOffset(d, rows, n, j) + h * e, patternRow[j], e);
                }
            }
    }

    /// <summary>
    /// Overwrites dq, dk, dv from dz (softmax backward: ds = p ⊙ (dp − Σ p·dp)); dk and dv are [B, T, W] even when
    /// k and v are tables read through <paramref name="keyValueRows"/> (see <see cref="Forward"/>).
    /// </summary>
    public static void Backward(AttentionDims d, float scale,
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> pattern,
        ReadOnlySpan<float> dz, Span<float> dq, Span<float> dk, Span<float> dv, int threads, ReadOnlySpan<int> keyValueRows = default)
    {
        using var timing = Training.EpochProfile.Time(Training.EpochPart.AttentionMixing);
        RequireRows(d, keyValueRows);
        unsafe
        {
            fixed (float* pq = q, pk = k, pv = v, pp = pattern, pdz = dz, pdq = dq, pdk = dk, pdv = dv)
            fixed (int* pr = keyValueRows)
            {
                nint q0 = (nint)pq, k0 = (nint)pk, v0 = (nint)pv, p0 = (nint)pp, dz0 = (nint)pdz, dq0 = (nint)pdq, dk0 = (nint)pdk, dv0 = (nint)pdv, r0 = (nint)pr;
                ParallelRows.For(d.Batch, threads, (start, end) =>
                {
                    Span<float> dp = stackalloc float[d.Positions];
                    for (var n = start; n < end; n++)
                        BackwardSample(d, scale, n, (float*)q0, (float*)k0, (float*)v0, (float*)p0, (float*)dz0, (float*)dq0, (float*)dk0, (float*)dv0, (int*)r0, dp);
                });
            }
        }
    }

    private static unsafe void BackwardSample(AttentionDims d, float scale, int n,
        float* q, float* k, float* v, float* pattern, float* dz, float* dq, float* dk, float* dv, int* rows, Span<float> dp)
    {
        int t = d.Positions, e = d.DHead, w = d.Width;
        new Span<float>(dk + (long)n * t * w, t * w).Clear();
        new Span<float>(dv + (long)n * t * w, t * w).Clear();
        for (var h = 0; h < d.Heads; h++)
            for (var i = 0; i < d.QueryPositions; i++)
            {
                var qIndex = ((long)n * d.QueryPositions + i) * w + h * e;
                float* query = q + qIndex, gradOut = dz + qIndex, gradQuery = dq + qIndex;
                var patternRow = new ReadOnlySpan<float>(pattern + (((long)n * d.Heads + h) * d.QueryPositions + i) * t, t);
                var weighted = 0f;
                for (var j = 0; j < t; j++)
                {
                    if (patternRow[j] == 0f)
                    {
                        dp[j] = 0f;
                        continue;
                    }
                    var kvIndex = ((long)n * t + j) * w + h * e;
                    dp[j] = SmallVectors.Dot(gradOut, v + KeyValueOffset(d, rows, n, j) + h * e, e);
                    SmallVectors.Axpy(dv + kvIndex, gradOut, patternRow[j], e);
                    weighted += patternRow[j] * dp[j];
                }
                new Span<float>(gradQuery, e).Clear();
                for (var j = 0; j < t; j++)
                {
                    if (patternRow[j] == 0f) continue;
                    var gradScore = scale * patternRow[j] * (dp[j] - weighted);
                    var kvIndex = ((long)n * t + j) * w + h * e;
                    SmallVectors.Axpy(gradQuery, k + KeyValueOffset(d, rows, n, j) + h * e, gradScore, e);
                    SmallVectors.Axpy(dk + kvIndex, query, gradScore, e);
                }
            }
    }
}
