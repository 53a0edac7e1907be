using System.Numerics.Tensors;
using BitOnnx.Core.Transcoders;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Transcoders;

/// <summary>
/// A transcoder's forward and backward pass over a batch of rows (llm.c's pair), with sparse latents kept as each row's
/// active indices, so the decoder and both gradients cost k (TopK) or the active count (L1) per row, not the width.
///
/// Forward, for x [B, d_in], y [B, d_out]:
///   pre = x·W_enc + b_enc            [B, width]
///   f   = TopK(ReLU(pre))            (L1: ReLU(pre)); A_r = the active (kept, positive) latents of row r
///   ŷ   = f·W_dec + b_dec            [B, d_out]
/// Loss:
///   TopK: FVU = Σ(y − ŷ)² / T,  T = Σ_r,o (y_ro − ȳ_o)², ȳ the batch mean (EleutherAI sparsify)
///   L1:   (1/B) Σ_r (‖y_r − ŷ_r‖² + λ‖f_r‖₁)   (Dunefsky et al. 2024, arXiv 2406.11944)
/// Backward (T and ȳ depend on y only, so they are constants):
///   dŷ = −2(y − ŷ)/T (TopK), −2(y − ŷ)/B (L1)
///   db_dec = Σ_r dŷ_r;   dW_dec[j] = Σ_r f_rj dŷ_r (j ∈ A_r)
///   df_rj = dŷ_r · W_dec[j] (+ λ/B for L1: f ≥ 0, so |f|' = 1 where f &gt; 0), j ∈ A_r
///   dpre_rj = df_rj for j ∈ A_r, else 0 (ReLU's gradient is 0 below zero; TopK's dropped latents are constants 0)
///   db_enc = Σ_r dpre_r;  dW_enc = xᵀ·dpre
/// The forward's x·W_enc is the engine's GEMM and the rest splits rows over workers (each row's arithmetic is the same
/// whatever the count); the backward sums rows
/// in order on one thread, so gradients are the same bits for any thread count.
/// </summary>
public sealed class TranscoderLayer
{
    private readonly TranscoderConfig _config;
    private float[] _pre = [];
    private int[] _active = [];
    private int[] _activeCount = [];
    private float[] _output = [];
    private float[] _dPre = [];
    private int _rows;

    public TranscoderLayer(TranscoderConfig config) => _config = config.Validated();

    /// <summary>ŷ [rows, d_out] of the last forward.</summary>
    public ReadOnlySpan<float> Output => _output.AsSpan(0, _rows * _config.DOut);

    /// <summary>The active latent indices of row <paramref name="row"/> of the last forward, in increasing order of rank.</summary>
    public ReadOnlySpan<int> ActiveOf(int row) => _active.AsSpan(row * _config.MaxActive, _activeCount[row]);

    /// <summary>Latent <paramref name="latent"/>'s value at <paramref name="row"/> of the last forward (its ReLU'd pre-activation).</summary>
    public float LatentAt(int row, int latent) => _pre[row * _config.Width + latent];

    /// <summary>The latents [rows, width] of the last forward, dense.</summary>
    public float[] Latents()
    {
        var latents = new float[_rows * _config.Width];
        for (int r = 0; r < _rows; r++)
            foreach (var j in ActiveOf(r)) latents[r * _config.Width + j] = LatentAt(r, j);
        return latents;
    }

    public void Forward(Transcoder transcoder, ReadOnlySpan<float> inputs, int threads)
    {
        int dIn = _config.DIn, width = _config.Width, dOut = _config.DOut, maxActive = _config.MaxActive;
        int rows = inputs.Length / dIn;
        Ensure(rows);
        var p = transcoder.Parameters;
        Gemm.Multiply(inputs, p[Transcoder.EncoderWeight], _pre.AsSpan(0, rows * width), rows, width, dIn, threads: threads);
        var bEnc = p.Data.AsMemory(p.Info(Transcoder.EncoderBias).Offset, width);
        var wDec = p.Data.AsMemory(p.Info(Transcoder.DecoderWeight).Offset, width * dOut);
        var bDec = p.Data.AsMemory(p.Info(Transcoder.DecoderBias).Offset, dOut);
        ParallelRows.For(rows, threads, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var pre = _pre.AsSpan(r * width, width);
                TensorPrimitives.Add(pre, bEnc.Span, pre);
                TensorPrimitives.Max(pre, 0f, pre);
                var active = _active.AsSpan(r * maxActive, maxActive);
                _activeCount[r] = _config.Kind == TranscoderKind.TopK ? TopK(pre, active) : Positive(pre, active);
                var yHat = _output.AsSpan(r * dOut, dOut);
                bDec.Span.CopyTo(yHat);
                foreach (var j in active[.._activeCount[r]])
                    TensorPrimitives.MultiplyAdd(wDec.Span.Slice(j * dOut, dOut), pre[j], yHat, yHat);
            }
        }, minRowsPerWorker: 16);
    }

    /// <summary>The loss of the last forward against targets [rows, d_out] (see the header).</summary>
    public double Loss(ReadOnlySpan<float> targets)
    {
        int dOut = _config.DOut;
        double squared = 0;
        for (int i = 0; i < _rows * dOut; i++)
        {
            double e = targets[i] - _output[i];
            squared += e * e;
        }
        if (_config.Kind == TranscoderKind.TopK) return squared / TotalVariance(targets, _rows, dOut);
        double l1 = 0;
        for (int r = 0; r < _rows; r++)
            foreach (var j in ActiveOf(r)) l1 += LatentAt(r, j);
        return (squared + _config.L1Coefficient * l1) / _rows;
    }

    /// <summary>Σ_r,o (y_ro − ȳ_o)², the denominator of the FVU; 1 when the targets do not vary (then FVU is the squared error).</summary>
    public static double TotalVariance(ReadOnlySpan<float> targets, int rows, int dOut)
    {
        var mean = new double[dOut];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < dOut; o++) mean[o] += targets[r * dOut + o];
        for (int o = 0; o < dOut; o++) mean[o] /= rows;
        double total = 0;
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < dOut; o++)
            {
                double d = targets[r * dOut + o] - mean[o];
                total += d * d;
            }
        return total > 0 ? total : 1;
    }

    /// <summary>Adds the loss's gradient (of the last forward) to <paramref name="gradient"/>, a parameter set of the transcoder's layout.</summary>
    public void Backward(Transcoder transcoder, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Core.Model.ParameterSet gradient, int threads = 1)
    {
        int dIn = _config.DIn, width = _config.Width, dOut = _config.DOut;
        var scale = _config.Kind == TranscoderKind.TopK ? -2 / TotalVariance(targets, _rows, dOut) : -2.0 / _rows;
        var l1 = _config.Kind == TranscoderKind.L1 ? (float)(_config.L1Coefficient / _rows) : 0f;
        var wDec = transcoder.Parameters[Transcoder.DecoderWeight];
        var gBEnc = gradient[Transcoder.EncoderBias];
        var gWDec = gradient[Transcoder.DecoderWeight];
        var gBDec = gradient[Transcoder.DecoderBias];
        var dYHat = new float[dOut];
        if (_dPre.Length < _rows * width) _dPre = new float[_rows * width];
        var dPre = _dPre.AsSpan(0, _rows * width);
        dPre.Clear();
        for (int r = 0; r < _rows; r++)
        {
            for (int o = 0; o < dOut; o++) dYHat[o] = (float)(scale * (targets[r * dOut + o] - _output[r * dOut + o]));
            TensorPrimitives.Add(gBDec, dYHat, gBDec);
            foreach (var j in ActiveOf(r))
            {
                var decoderRow = gWDec.Slice(j * dOut, dOut);
                TensorPrimitives.MultiplyAdd(dYHat, LatentAt(r, j), decoderRow, decoderRow);
                var d = TensorPrimitives.Dot(dYHat, wDec.Slice(j * dOut, dOut)) + l1;
                dPre[r * width + j] = d;
                gBEnc[j] += d;
            }
        }
        // dW_enc += xᵀ·dpre as one product: an L1 transcoder's hundreds of active latents per row would otherwise be as
        // many strided column updates. The engine's GEMM gives the same bits for any thread count.
        Gemm.Multiply(inputs, dPre, gradient[Transcoder.EncoderWeight], dIn, width, _rows, transposeA: true, accumulate: true, threads: threads);
    }

    private void Ensure(int rows)
    {
        _rows = rows;
        if (_pre.Length >= rows * _config.Width) return;
        _pre = new float[rows * _config.Width];
        _active = new int[rows * _config.MaxActive];
        _activeCount = new int[rows];
        _output = new float[rows * _config.DOut];
    }

    /// <summary>
    /// The indices of the k largest positive values, largest first (of equal values the lower index first); zeroes the
    /// rest of <paramref name="row"/>. Returns how many are positive (k, or fewer when fewer are).
    /// </summary>
    private static int TopK(Span<float> row, Span<int> kept)
    {
        int k = kept.Length, count = 0;
        for (int j = 0; j < row.Length; j++)
        {
            var v = row[j];
            if (v <= 0 || (count == k && v <= row[kept[k - 1]])) continue;
            int at = count == k ? k - 1 : count++;
            while (at > 0 && row[kept[at - 1]] < v)
            {
                kept[at] = kept[at - 1];
                at--;
            }
            kept[at] = j;
        }
        var keep = kept[..count];
        for (int j = 0; j < row.Length; j++)
            if (row[j] != 0 && !keep.Contains(j)) row[j] = 0;
        return count;
    }

    private static int Positive(ReadOnlySpan<float> row, Span<int> active)
    {
        int count = 0;
        for (int j = 0; j < row.Length; j++)
            if (row[j] > 0) active[count++] = j;
        return count;
    }
}
