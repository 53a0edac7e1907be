using System.Numerics.Tensors;

namespace BitOnnx.Analysis.Interventions;

/// <summary>
/// Exact logits of a model with one neuron of its last MLP written, for every neuron at once. In the last block only the
/// last position reaches the logits, and a neuron's write moves the residual stream there by c·W_out[n] (c = new − old
/// activation): a rank-1 change. So with A = (X ⊙ g√d)·W_U and B = (W_out ⊙ g√d)·W_U (g the final RMSNorm's gain, 1 and
/// no norm for nanda2023), the written logits are (A[r] + c·B[n]) / ‖x_r + c·W_out[n]‖, and
/// ‖x + c v‖² = ‖x‖² + 2c(x·v) + c²‖v‖². That is P multiply-adds per (row, neuron) instead of a forward pass:
/// TransformerLens' one-run-per-neuron table in a fraction of the time. <see cref="Reference"/> recomputes each written
/// residual stream, its norm and its logits in double, the way a forward pass would.
/// </summary>
public static class LastBlockNeurons
{
    /// <summary>What the evaluation reads, all at the last position.</summary>
    /// <param name="P">Logit columns.</param>
    /// <param name="ResidPost">The last block's output [rows, d_model] (the final norm's input).</param>
    /// <param name="Post">The last MLP's activations [rows, d_mlp].</param>
    /// <param name="WOut">The last MLP's output weight [d_mlp, d_model], folded.</param>
    /// <param name="WU">The unembedding [d_model, P], folded.</param>
    /// <param name="NormGain">The final RMSNorm's gain [d_model], or null when the model has no final norm.</param>
    /// <param name="Targets">The answer of each row.</param>
    public sealed record Inputs(int P, float[] ResidPost, float[] Post, float[] WOut, float[] WU, float[]? NormGain, int[] Targets)
    {
        public int Rows => Targets.Length;
        public int DMlp => Post.Length / Rows;
        public int DModel => ResidPost.Length / Rows;
    }

    /// <summary>Mean cross-entropy and accuracy over the rows, per neuron, with neuron n of row r set to <paramref name="replacement"/>[r, n].</summary>
    public static (double[] Loss, double[] Accuracy) Evaluate(Inputs x, float[] replacement, int threads = 0) =>
        Score(x, replacement, (logits, row) => CrossEntropy(logits, x.Targets[row]), threads);

    /// <summary><paramref name="metric"/> (a mean over the rows) per neuron, with neuron n of row r set to <paramref name="replacement"/>[r, n].</summary>
    public static double[] Evaluate(Inputs x, float[] replacement, Core.Interventions.LogitMetric metric, int threads = 0) =>
        Score(x, replacement, (logits, row) => (metric.ValueOfRow(logits, row), false), threads).Mean;

    /// <summary>What one row's written logits score, and whether they answer it; the logits may be overwritten.</summary>
    private delegate (double Value, bool Correct) RowScore(Span<float> logits, int row);

    private static (double[] Mean, double[] Accuracy) Score(Inputs x, float[] replacement, RowScore score, int threads)
    {
        int rows = x.Rows, m = x.DMlp, d = x.DModel, p = x.P;
        var a = Project(x.ResidPost, rows, x, d);
        var b = Project(x.WOut, m, x, d);
        var vv = new float[m];
        for (var n = 0; n < m; n++) vv[n] = TensorPrimitives.Dot(x.WOut.AsSpan(n * d, d), x.WOut.AsSpan(n * d, d));
        // Fixed chunks of rows, summed in chunk order: the same sums for any thread count.
        const int chunkRows = 128;
        var chunks = (rows + chunkRows - 1) / chunkRows;
        var sums = new double[chunks * m];
        var hits = new int[chunks * m];
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, chunks, options, () => new float[p], (chunk, _, logits) =>
        {
            for (var r = chunk * chunkRows; r < Math.Min(rows, (chunk + 1) * chunkRows); r++)
            {
                var xr = x.ResidPost.AsSpan(r * d, d);
                var xx = TensorPrimitives.Dot(xr, xr);
                var ar = a.AsSpan(r * p, p);
                for (var n = 0; n < m; n++)
                {
                    var c = replacement[r * m + n] - x.Post[r * m + n];
                    var scale = 1f;
                    if (x.NormGain is not null)
                    {
                        var xv = TensorPrimitives.Dot(xr, x.WOut.AsSpan(n * d, d));
                        scale = 1f / MathF.Max(MathF.Sqrt(MathF.Max(xx + 2 * c * xv + c * c * vv[n], 0)), Layers.FinalNormEpsilon);
                    }
                    TensorPrimitives.MultiplyAdd(b.AsSpan(n * p, p), c, ar, logits);
                    if (scale != 1f) TensorPrimitives.Multiply(logits, scale, logits);
                    var (value, correct) = score(logits, r);
                    sums[chunk * m + n] += value;
                    if (correct) hits[chunk * m + n]++;
                }
            }
            return logits;
        }, _ => { });
        var mean = new double[m];
        var accuracy = new double[m];
        for (var chunk = 0; chunk < chunks; chunk++)
            for (var n = 0; n < m; n++)
            {
                mean[n] += sums[chunk * m + n];
                accuracy[n] += hits[chunk * m + n];
            }
        for (var n = 0; n < m; n++)
        {
            mean[n] /= rows;
            accuracy[n] /= rows;
        }
        return (mean, accuracy);
    }

    /// <summary>The same as <see cref="Evaluate(Inputs, float[], int)"/>, one written forward at a time in double: the reference it is tested against.</summary>
    public static (double[] Loss, double[] Accuracy) Reference(Inputs x, float[] replacement)
    {
        int rows = x.Rows, m = x.DMlp, d = x.DModel, p = x.P;
        var loss = new double[m];
        var accuracy = new double[m];
        var resid = new double[d];
        var logits = new double[p];
        for (var n = 0; n < m; n++)
        {
            for (var r = 0; r < rows; r++)
            {
                var c = (double)replacement[r * m + n] - x.Post[r * m + n];
                for (var k = 0; k < d; k++) resid[k] = x.ResidPost[r * d + k] + c * x.WOut[n * d + k];
                var scale = 1.0;
                if (x.NormGain is not null) scale = Math.Sqrt(d) / Math.Max(Math.Sqrt(resid.Sum(v => v * v)), Layers.FinalNormEpsilon);
                for (var j = 0; j < p; j++)
                {
                    var sum = 0.0;
                    for (var k = 0; k < d; k++) sum += resid[k] * scale * (x.NormGain?[k] ?? 1.0) * x.WU[k * p + j];
                    logits[j] = sum;
                }
                var max = logits.Max();
                loss[n] += max + Math.Log(logits.Sum(v => Math.Exp(v - max))) - logits[x.Targets[r]];
                if (Array.IndexOf(logits, max) == x.Targets[r]) accuracy[n]++;
            }
            loss[n] /= rows;
            accuracy[n] /= rows;
        }
        return (loss, accuracy);
    }

    /// <summary>rows of <paramref name="source"/> [count, d] times the final norm's gain·√d (when there is one), times W_U: [count, P].</summary>
    private static float[] Project(float[] source, int count, Inputs x, int d)
    {
        var p = x.P;
        var scaled = new float[d];
        var result = new float[count * p];
        var gain = MathF.Sqrt(d);
        for (var r = 0; r < count; r++)
        {
            var row = source.AsSpan(r * d, d);
            if (x.NormGain is null) row.CopyTo(scaled);
            else
            {
                TensorPrimitives.Multiply(row, x.NormGain, scaled);
                TensorPrimitives.Multiply(scaled, gain, scaled);
            }
            var output = result.AsSpan(r * p, p);
            for (var k = 0; k < d; k++) TensorPrimitives.MultiplyAdd(x.WU.AsSpan(k * p, p), scaled[k], output, output);
        }
        return result;
    }

    /// <summary>−log softmax at the target, with the log-sum-exp in double; and whether the first largest logit is the target.</summary>
    private static (double Loss, bool Correct) CrossEntropy(Span<float> logits, int target)
    {
        var max = TensorPrimitives.Max(logits);
        var correct = TensorPrimitives.IndexOfMax(logits) == target;
        var targetLogit = logits[target];
        TensorPrimitives.Subtract(logits, max, logits);
        TensorPrimitives.Exp(logits, logits);
        var sum = TensorPrimitives.Sum(logits);
        return (max + Math.Log(sum) - targetLogit, correct);
    }

    /// <summary>Constants of the layers the evaluation stands in for.</summary>
    private static class Layers
    {
        /// <summary>The final RMSNorm's floor on ‖x‖ (torch's F.normalize), as the exported graph and the engine apply it.</summary>
        public const float FinalNormEpsilon = 1e-12f;
    }
}
