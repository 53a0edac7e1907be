using BitOnnx.Analysis.Fourier;
using BitOnnx.Analysis.Kernels;

namespace BitOnnx.Analysis.Analyses;

/// <summary>Fourier norms of the number-token embedding (Li 2024 fig. 2, Nanda et al. 2023 fig. 3).</summary>
/// <param name="RowNorms">‖(F·W_E[:P])[r, :]‖ for each basis row r (P values; row names from the basis).</param>
/// <param name="FrequencyNorms">Per frequency f = 1..F: √(‖cos row‖² + ‖sin row‖²), at index f−1.</param>
/// <param name="KeyFrequencies">Frequencies whose norm passes <see cref="Threshold"/>, ascending.</param>
/// <param name="Threshold">The norm a key frequency must reach.</param>
public sealed record EmbeddingFourierResult(double[] RowNorms, double[] FrequencyNorms, int[] KeyFrequencies, double Threshold);

/// <summary>Computes <see cref="EmbeddingFourierResult"/>.</summary>
public static class EmbeddingFourierAnalysis
{
    /// <summary>Analyses W_E[:P] given as [P, d_model].</summary>
    public static EmbeddingFourierResult Analyze(FourierBasis basis, double[] embedding, int dModel, KeyFrequencyOptions options)
    {
        int p = basis.P;
        if (embedding.Length != p * dModel)
            throw new ArgumentException($"Embedding must be [P = {p}, d_model = {dModel}].");
        var projected = new double[p * dModel];
        MatMul.Multiply(basis.Matrix, embedding, projected, p, p, dModel, parallel: false);

        var rowNorms = new double[p];
        for (int r = 0; r < p; r++)
        {
            double s = 0;
            for (int d = 0; d < dModel; d++) s += projected[r * dModel + d] * projected[r * dModel + d];
            rowNorms[r] = Math.Sqrt(s);
        }
        var freqNorms = FrequencyNorms(basis, rowNorms);
        var (keys, threshold) = KeysAboveNoise(freqNorms, options.EmbeddingNoiseSigmas, options.EmbeddingMaxFraction);
        return new EmbeddingFourierResult(rowNorms, freqNorms, keys, threshold);
    }

    /// <summary>Combines per-row norms into per-frequency norms (index f−1).</summary>
    public static double[] FrequencyNorms(FourierBasis basis, double[] rowNorms)
    {
        var result = new double[basis.FrequencyCount];
        for (int f = 1; f <= basis.FrequencyCount; f++)
        {
            double s = 0;
            foreach (int r in basis.RowsOf(f)) s += rowNorms[r] * rowNorms[r];
            result[f - 1] = Math.Sqrt(s);
        }
        return result;
    }

    /// <summary>
    /// Frequencies (1-based) whose norm is at least max(median + sigmas·1.4826·MAD, maxFraction·max): clearly out of
    /// the noise floor (robust z-score) and not negligible next to the strongest.
    /// </summary>
    public static (int[] Keys, double Threshold) KeysAboveNoise(double[] norms, double sigmas, double maxFraction)
    {
        if (norms.Length == 0) return ([], 0);
        double median = Median(norms);
        double mad = Median(norms.Select(v => Math.Abs(v - median)).ToArray());
        double max = norms.Max();
        double threshold = Math.Max(median + sigmas * 1.4826 * mad, maxFraction * max);
        if (max <= 0) return ([], threshold);
        var keys = Enumerable.Range(0, norms.Length).Where(i => norms[i] >= threshold && norms[i] > 0).Select(i => i + 1).ToArray();
        return (keys, threshold);
    }

    private static double Median(double[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
}
