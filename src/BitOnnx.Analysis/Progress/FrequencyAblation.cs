using BitOnnx.Analysis.Analyses;
using BitOnnx.Core.Data;

namespace BitOnnx.Analysis.Progress;

/// <summary>
/// Restricted and excluded loss (Nanda et al. 2023, §5.1). The clock algorithm's logits are Σ_k α_k cos(w_k(a+b−c))
/// = Σ_k α_k [cos(w_k(a+b))·cos(w_k c) + sin(w_k(a+b))·sin(w_k c)], so for each output c they lie in the span of the
/// directions cos(w_k(a+b)) and sin(w_k(a+b)) over the P² inputs (w_k = 2πk/P, k the key frequencies).
/// Restricted loss keeps only the logits' components along those directions (plus each output's mean over inputs,
/// the paper's bias correction) and measures the loss on all inputs: low once the circuit exists.
/// Excluded loss removes exactly those components and measures the loss on the training inputs: it rises as the
/// memorising solution is replaced by the circuit. (The paper's analysis code computes both this way.)
/// </summary>
public static class FrequencyAblation
{
    /// <summary>Unit vectors over the P² inputs along cos(w_k(a+b)) and sin(w_k(a+b)) for each key frequency.</summary>
    public static double[][] SumDirections(int p, IReadOnlyList<int> keyFrequencies)
    {
        var dirs = new List<double[]>();
        foreach (int k in keyFrequencies.Distinct())
        {
            if (k < 1 || k > p / 2) throw new ArgumentOutOfRangeException(nameof(keyFrequencies), k, $"Key frequencies must be in 1..{p / 2}.");
            foreach (var trig in new Func<double, double>[] { Math.Cos, Math.Sin })
            {
                var v = new double[p * p];
                double norm = 0;
                for (int a = 0; a < p; a++)
                    for (int b = 0; b < p; b++)
                    {
                        double x = trig(2 * Math.PI * k * ((a + b) % p) / p);
                        v[a * p + b] = x;
                        norm += x * x;
                    }
                if (norm < 1e-9) continue; // sin at the Nyquist frequency of an even P is identically zero
                norm = Math.Sqrt(norm);
                for (int i = 0; i < v.Length; i++) v[i] /= norm;
                dirs.Add(v);
            }
        }
        return dirs.ToArray();
    }

    /// <summary>Σ over directions of each logit column's projection onto them, [P², P].</summary>
    public static double[] Projection(ReadOnlySpan<float> logits, int p, double[][] directions)
    {
        var proj = new double[p * p * p];
        var coef = new double[p];
        foreach (var u in directions)
        {
            Array.Clear(coef);
            for (int row = 0; row < p * p; row++)
            {
                double ur = u[row];
                var l = logits.Slice(row * p, p);
                for (int c = 0; c < p; c++) coef[c] += ur * l[c];
            }
            for (int row = 0; row < p * p; row++)
            {
                double ur = u[row];
                for (int c = 0; c < p; c++) proj[row * p + c] += ur * coef[c];
            }
        }
        return proj;
    }

    /// <summary>Restricted loss over all inputs.</summary>
    public static double RestrictedLoss(ReadOnlySpan<float> logits, int p, IReadOnlyList<int> keyFrequencies) =>
        RestrictedLoss(logits, p, Projection(logits, p, SumDirections(p, keyFrequencies)));

    /// <summary>Excluded loss over <paramref name="trainRows"/>.</summary>
    public static double ExcludedLoss(ReadOnlySpan<float> logits, int p, IReadOnlyList<int> keyFrequencies, IReadOnlyList<int> trainRows) =>
        ExcludedLoss(logits, p, Projection(logits, p, SumDirections(p, keyFrequencies)), trainRows);

    /// <summary>Restricted loss given the logits' <paramref name="projection"/> onto the key directions (overwritten).</summary>
    public static double RestrictedLoss(ReadOnlySpan<float> logits, int p, double[] projection)
    {
        // Bias correction: give each output c back its mean over inputs, which the projection removed.
        for (int c = 0; c < p; c++)
        {
            double meanL = 0, meanR = 0;
            for (int row = 0; row < p * p; row++)
            {
                meanL += logits[row * p + c];
                meanR += projection[row * p + c];
            }
            double shift = (meanL - meanR) / (p * p);
            for (int row = 0; row < p * p; row++) projection[row * p + c] += shift;
        }
        return ModularAdditionLoss.Mean(projection, p, ModularAdditionLoss.AllRows(p));
    }

    /// <summary>Excluded loss given the logits' <paramref name="projection"/> onto the key directions.</summary>
    public static double ExcludedLoss(ReadOnlySpan<float> logits, int p, double[] projection, IReadOnlyList<int> trainRows)
    {
        var excluded = new double[projection.Length];
        for (int i = 0; i < projection.Length; i++) excluded[i] = logits[i] - projection[i];
        return ModularAdditionLoss.Mean(excluded, p, trainRows);
    }
}
