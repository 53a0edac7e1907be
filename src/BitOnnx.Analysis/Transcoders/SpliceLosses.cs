using BitOnnx.Core.Data;

namespace BitOnnx.Analysis.Transcoders;

/// <summary>
/// A splice measured over some rows, named as SAELens names its evaluation metrics: the mean cross-entropy at the last
/// position of the clean model, the spliced one and the one with the MLP's output zero-ablated; their accuracies;
/// KL(clean ‖ spliced), the mean over rows of Σ p_clean·(log p_clean − log p_spliced); and
/// <c>ce_loss_score</c> = (L_zero_ablated − L_spliced) / (L_zero_ablated − L_clean): 1 is the MLP itself, 0 no better
/// than deleting it.
/// </summary>
public sealed record SpliceLosses(
    double CeLossClean,
    double CeLossSpliced,
    double CeLossZeroAblated,
    double AccuracyClean,
    double AccuracySpliced,
    double AccuracyZeroAblated,
    double Kl)
{
    public double CeLossScore => (CeLossZeroAblated - CeLossSpliced) / (CeLossZeroAblated - CeLossClean);

    /// <summary>The metrics over <paramref name="rows"/> (indices a·P + b) of logits [P², P] of the three runs.</summary>
    public static SpliceLosses Compute(ReadOnlySpan<float> clean, ReadOnlySpan<float> spliced, ReadOnlySpan<float> zeroAblated, int p, IReadOnlyList<int> rows) =>
        new(ModularAdditionLoss.Mean(clean, p, rows), ModularAdditionLoss.Mean(spliced, p, rows), ModularAdditionLoss.Mean(zeroAblated, p, rows),
            ModularAdditionLoss.Accuracy(clean, p, rows), ModularAdditionLoss.Accuracy(spliced, p, rows), ModularAdditionLoss.Accuracy(zeroAblated, p, rows),
            MeanKl(clean, spliced, p, rows));

    /// <summary>Mean over rows of KL(softmax(clean) ‖ softmax(spliced)), log-softmax in double.</summary>
    public static double MeanKl(ReadOnlySpan<float> clean, ReadOnlySpan<float> spliced, int p, IReadOnlyList<int> rows)
    {
        double sum = 0;
        var logP = new double[p];
        var logQ = new double[p];
        foreach (var row in rows)
        {
            LogSoftmax(clean.Slice(row * p, p), logP);
            LogSoftmax(spliced.Slice(row * p, p), logQ);
            for (int c = 0; c < p; c++) sum += Math.Exp(logP[c]) * (logP[c] - logQ[c]);
        }
        return rows.Count == 0 ? double.NaN : sum / rows.Count;
    }

    private static void LogSoftmax(ReadOnlySpan<float> logits, double[] result)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        var log = max + Math.Log(sum);
        for (int c = 0; c < logits.Length; c++) result[c] = logits[c] - log;
    }
}
