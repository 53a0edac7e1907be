using BitOnnx.Core.Model;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// TransformerLens' LayerNorm (normalization_type 'LN') over rows of d_model: y = (x − μ) · r · w + b with
/// μ = mean(x) and r = 1 / sqrt(mean((x − μ)²) + 1e-5). Buffers: x, y [rows, dModel]; mean, rstd [rows]; w, b [dModel].
/// Backward, with x̂ = (x − μ) · r and g = dy ⊙ w: dx = r · (g − mean(g) − x̂ · mean(g ⊙ x̂)), dw = Σ_rows dy ⊙ x̂,
/// db = Σ_rows dy. The row statistics are summed in double, so that they are as close to float64 as the float32
/// activations allow; dw and db are summed over rows in row order on the calling thread (the same bits for any thread count).
/// </summary>
public static class LayerNorm
{
    public static void Forward(int rows, int dModel, float[] x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        float[] y, float[] mean, float[] rstd, int threads)
    {
        var weight = w.ToArray();
        var bias = b.ToArray();
        ParallelRows.For(rows, threads, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                var row = x.AsSpan(r * dModel, dModel);
                double sum = 0;
                foreach (var v in row) sum += v;
                var mu = sum / dModel;
                double squares = 0;
                foreach (var v in row) squares += (v - mu) * (v - mu);
                var inverse = 1 / Math.Sqrt(squares / dModel + SequenceModelConfig.LayerNormEpsilon);
                mean[r] = (float)mu;
                rstd[r] = (float)inverse;
                var output = y.AsSpan(r * dModel, dModel);
                for (var k = 0; k < dModel; k++) output[k] = (float)((row[k] - mu) * inverse) * weight[k] + bias[k];
            }
        });
    }

    /// <summary>Adds dx into <paramref name="dX"/> (the residual stream's gradient) and dw, db into their gradients.</summary>
    public static void Backward(int rows, int dModel, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> rstd, ReadOnlySpan<float> dY, Span<float> dX, Span<float> dW, Span<float> dB)
    {
        Span<float> normalized = dModel <= 1024 ? stackalloc float[dModel] : new float[dModel];
        Span<float> g = dModel <= 1024 ? stackalloc float[dModel] : new float[dModel];
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * dModel, dModel);
            var dy = dY.Slice(r * dModel, dModel);
            double gMean = 0, gxMean = 0;
            for (var k = 0; k < dModel; k++)
            {
                normalized[k] = (row[k] - mean[r]) * rstd[r];
                g[k] = dy[k] * w[k];
                gMean += g[k];
                gxMean += g[k] * normalized[k];
                dW[k] += dy[k] * normalized[k];
                dB[k] += dy[k];
            }
            gMean /= dModel;
            gxMean /= dModel;
            var dx = dX.Slice(r * dModel, dModel);
            for (var k = 0; k < dModel; k++) dx[k] += (float)(rstd[r] * (g[k] - gMean - normalized[k] * gxMean));
        }
    }
}
