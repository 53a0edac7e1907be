namespace BitOnnx.Analysis.Progress;

/// <summary>
/// Gini coefficient of non-negative values, G = Σ_i Σ_j |x_i − x_j| / (2·n·Σ x): 0 when all are equal, (n−1)/n
/// when one value holds everything. Nanda et al. 2023 (§5.1) track it on Fourier norms as a sparsity measure.
/// </summary>
public static class Gini
{
    /// <summary>G of <paramref name="values"/> (all ≥ 0); NaN when they sum to zero.</summary>
    public static double Of(IReadOnlyList<double> values)
    {
        int n = values.Count;
        var sorted = values.OrderBy(v => v).ToArray();
        double sum = sorted.Sum();
        if (n == 0 || sum <= 0) return double.NaN;
        // Sorted form of the pairwise definition: Σ_i Σ_j |x_i − x_j| = 2 Σ_i (2i − n − 1)·x_(i), i = 1..n.
        double weighted = 0;
        for (int i = 0; i < n; i++) weighted += (2.0 * (i + 1) - n - 1) * sorted[i];
        return weighted / (n * sum);
    }
}
