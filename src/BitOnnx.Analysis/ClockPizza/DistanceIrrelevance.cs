namespace BitOnnx.Analysis.ClockPizza;

/// <summary>Distance irrelevance q of a model and the correct-logit table it comes from.</summary>
/// <param name="Value">q (≈1: the correct logit ignores a−b, clock; ≈0: it is a function of a−b, pizza).</param>
/// <param name="CorrectLogits">[s·P + d]: logit of the correct answer for the input with a+b ≡ s and a−b ≡ d (mod P).</param>
/// <param name="StdPerDistance">Per d: population std over s of the correct logit.</param>
public sealed record DistanceIrrelevanceResult(double Value, double[] CorrectLogits, double[] StdPerDistance);

/// <summary>
/// Zhong et al. 2023 ("The Clock and the Pizza", arXiv 2306.17844), Definition 4.2: with L the correct-logit
/// table, q = mean over distances d of std over the inputs with a−b ≡ d, divided by the std over all inputs
/// (population std, as the authors' code, <c>np.mean(np.std(oo, axis=0)) / np.std(oo)</c> on the [(a+b), (a−b)] table).
/// A clock's correct logit does not depend on a−b (q near 1; their clock model: 0.85); a pizza's is scaled by
/// |cos(w(a−b)/2)| (q near 0; their pizza model: 0.17).
/// </summary>
public static class DistanceIrrelevance
{
    /// <summary>Computes q from last-position logits [P·P, P].</summary>
    public static DistanceIrrelevanceResult Compute(ReadOnlySpan<float> logits, int p)
    {
        if (logits.Length != p * p * p) throw new ArgumentException($"Expected [P·P, P] = {p * p * p} logits, got {logits.Length}.");
        var table = new double[p * p];
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++)
            {
                int s = (a + b) % p, d = ((a - b) % p + p) % p;
                table[s * p + d] = logits[(a * p + b) * p + s];
            }
        var perDistance = new double[p];
        for (int d = 0; d < p; d++)
        {
            double mean = 0;
            for (int s = 0; s < p; s++) mean += table[s * p + d];
            mean /= p;
            double v = 0;
            for (int s = 0; s < p; s++) v += (table[s * p + d] - mean) * (table[s * p + d] - mean);
            perDistance[d] = Math.Sqrt(v / p);
        }
        double overall = table.Average();
        double overallStd = Math.Sqrt(table.Sum(x => (x - overall) * (x - overall)) / table.Length);
        double q = overallStd > 0 ? perDistance.Average() / overallStd : double.NaN;
        return new DistanceIrrelevanceResult(q, table, perDistance);
    }
}
