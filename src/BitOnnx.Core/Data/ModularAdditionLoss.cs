namespace BitOnnx.Core.Data;

/// <summary>
/// The loss both papers report, as plain scalar loops: mean cross-entropy and accuracy of last-position logits
/// [P·P, P] for the target (a + b) mod P, in double with a max-shifted log-sum-exp (float log-softmax underflows on
/// confident models; Nanda et al. 2023). Analysis uses it directly; the engine's parallel layer is tested against it.
/// </summary>
public static class ModularAdditionLoss
{
    /// <summary>Target residue of row a·P + b.</summary>
    public static int Target(int row, int p) => (row / p + row % p) % p;

    /// <summary>Mean loss over <paramref name="rows"/> of logits given as float.</summary>
    public static double Mean(ReadOnlySpan<float> logits, int p, IReadOnlyList<int> rows)
    {
        double sum = 0;
        foreach (int row in rows) sum += RowLoss(logits.Slice(row * p, p), Target(row, p));
        return rows.Count == 0 ? double.NaN : sum / rows.Count;
    }

    /// <summary>Mean loss over <paramref name="rows"/> of logits given as double.</summary>
    public static double Mean(ReadOnlySpan<double> logits, int p, IReadOnlyList<int> rows)
    {
        double sum = 0;
        foreach (int row in rows) sum += RowLoss(logits.Slice(row * p, p), Target(row, p));
        return rows.Count == 0 ? double.NaN : sum / rows.Count;
    }

    /// <summary>Fraction of <paramref name="rows"/> whose largest logit is the target.</summary>
    public static double Accuracy(ReadOnlySpan<float> logits, int p, IReadOnlyList<int> rows)
    {
        int correct = 0;
        foreach (int row in rows)
        {
            var r = logits.Slice(row * p, p);
            int arg = 0;
            for (int c = 1; c < p; c++) if (r[c] > r[arg]) arg = c;
            if (arg == Target(row, p)) correct++;
        }
        return rows.Count == 0 ? double.NaN : (double)correct / rows.Count;
    }

    /// <summary>−log softmax(logits)[target] for one row.</summary>
    public static double RowLoss(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        return max + Math.Log(sum) - logits[target];
    }

    /// <summary>−log softmax(logits)[target] for one row.</summary>
    public static double RowLoss(ReadOnlySpan<double> logits, int target)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        return max + Math.Log(sum) - logits[target];
    }

    /// <summary>Rows 0..P·P−1.</summary>
    public static int[] AllRows(int p) => Enumerable.Range(0, p * p).ToArray();

    /// <summary>The rows not in <paramref name="train"/>.</summary>
    public static int[] Complement(int p, IReadOnlyCollection<int> train)
    {
        var set = new HashSet<int>(train);
        return Enumerable.Range(0, p * p).Where(r => !set.Contains(r)).ToArray();
    }
}
