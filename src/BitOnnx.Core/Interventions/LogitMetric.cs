using BitOnnx.Core.Data;

namespace BitOnnx.Core.Interventions;

/// <summary>
/// A scalar of a batch's last-position logits [rows, classes] with its gradient with respect to them: what attribution
/// patching differentiates, and what ablation and patching tables report. Both are computed in double; the gradient is
/// rounded to float once, per element, because backward passes take float. Every backend's gradients start here, so
/// the engine, TorchSharp and the analyses differentiate the same function.
/// </summary>
public abstract class LogitMetric
{
    private protected LogitMetric(int rows, int classes)
    {
        if (rows < 1 || classes < 1)
            throw new InterventionException($"A metric needs at least one row and one class, not {rows} rows of {classes}.");
        Rows = rows;
        Classes = classes;
    }

    public int Rows { get; }
    public int Classes { get; }

    /// <summary>"cross-entropy" or "logit difference", as tables name the metric.</summary>
    public abstract string Name { get; }

    /// <summary>The metric of <paramref name="logits"/> [rows, classes].</summary>
    public double Value(ReadOnlySpan<float> logits)
    {
        RequireShape(logits.Length);
        var sum = 0.0;
        for (var r = 0; r < Rows; r++) sum += RowValue(logits.Slice(r * Classes, Classes), r);
        return sum / Rows;
    }

    /// <summary>The metric of row <paramref name="row"/> alone, from its logits [classes], before the mean over rows.</summary>
    public double ValueOfRow(ReadOnlySpan<float> logits, int row)
    {
        RequireShape(logits.Length * Rows);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Rows, nameof(row));
        return RowValue(logits, row);
    }

    /// <summary>d metric / d logits [rows, classes] at <paramref name="logits"/>.</summary>
    public float[] Gradient(ReadOnlySpan<float> logits)
    {
        RequireShape(logits.Length);
        var gradient = new float[logits.Length];
        var row = new double[Classes];
        for (var r = 0; r < Rows; r++)
        {
            Array.Clear(row);
            RowGradient(logits.Slice(r * Classes, Classes), r, row);
            for (var c = 0; c < Classes; c++) gradient[r * Classes + c] = (float)(row[c] / Rows);
        }
        return gradient;
    }

    /// <summary>Mean cross-entropy of the logits for <paramref name="targets"/> [rows] (the training loss).</summary>
    public static LogitMetric CrossEntropy(int[] targets, int classes) => new CrossEntropyMetric(targets, classes);

    /// <summary>logit[a] − logit[b] averaged over rows, with <paramref name="a"/> and <paramref name="b"/> [rows].</summary>
    public static LogitMetric LogitDifference(int[] a, int[] b, int classes) => new LogitDifferenceMetric(a, b, classes);

    /// <summary>
    /// KL(p_clean ‖ p) of each row's output distribution from the clean model's, averaged over rows: ACDC's metric
    /// (Conmy et al. 2023, arXiv 2304.14997). <paramref name="cleanLogits"/> [rows, classes] are the clean run's.
    /// </summary>
    public static LogitMetric KlDivergence(float[] cleanLogits, int classes) => new KlDivergenceMetric(cleanLogits, classes);

    /// <summary>The metric of one row, before the mean over rows.</summary>
    private protected abstract double RowValue(ReadOnlySpan<float> logits, int row);

    /// <summary>Adds d RowValue / d logits of one row into <paramref name="gradient"/> (zeroed by the caller).</summary>
    private protected abstract void RowGradient(ReadOnlySpan<float> logits, int row, Span<double> gradient);

    private protected void RequireClasses(int[] labels, string what)
    {
        if (labels.Length != Rows)
            throw new InterventionException($"The {Name} needs one {what} per row: {labels.Length} for {Rows} rows.");
        foreach (var label in labels)
            if ((uint)label >= (uint)Classes)
                throw new InterventionException($"The {Name}'s {what} {label} is outside the classes 0..{Classes - 1}.");
    }

    private void RequireShape(int length)
    {
        if (length != Rows * Classes)
            throw new InterventionException($"The {Name} takes logits of {Rows} rows of {Classes} classes ({Rows * Classes} values), not {length} values.");
    }
}

/// <summary>Mean over rows of −log softmax(logits)[target], the log-softmax in double as <see cref="ModularAdditionLoss"/> computes it.</summary>
internal sealed class CrossEntropyMetric : LogitMetric
{
    private readonly int[] _targets;

    public CrossEntropyMetric(int[] targets, int classes) : base(targets.Length, classes)
    {
        _targets = targets;
        RequireClasses(targets, "target");
    }

    public override string Name => "cross-entropy";

    private protected override double RowValue(ReadOnlySpan<float> logits, int row) => ModularAdditionLoss.RowLoss(logits, _targets[row]);

    /// <summary>softmax(logits) − onehot(target).</summary>
    private protected override void RowGradient(ReadOnlySpan<float> logits, int row, Span<double> gradient)
    {
        var max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var sum = 0.0;
        for (var c = 0; c < logits.Length; c++) sum += gradient[c] = Math.Exp(logits[c] - max);
        for (var c = 0; c < logits.Length; c++) gradient[c] /= sum;
        gradient[_targets[row]] -= 1;
    }
}

/// <summary>Mean over rows of logit[a] − logit[b]: how far the model prefers one answer to another.</summary>
internal sealed class LogitDifferenceMetric : LogitMetric
{
    private readonly int[] _a, _b;

    public LogitDifferenceMetric(int[] a, int[] b, int classes) : base(a.Length, classes)
    {
        _a = a;
        _b = b;
        RequireClasses(a, "first answer");
        RequireClasses(b, "second answer");
    }

    public override string Name => "logit difference";

    private protected override double RowValue(ReadOnlySpan<float> logits, int row) => (double)logits[_a[row]] - logits[_b[row]];

    /// <summary>+1 at a, −1 at b (nothing where they are the same class).</summary>
    private protected override void RowGradient(ReadOnlySpan<float> logits, int row, Span<double> gradient)
    {
        gradient[_a[row]] += 1;
        gradient[_b[row]] -= 1;
    }
}

/// <summary>
/// Mean over rows of KL(p_clean ‖ p) = Σ_c p_clean,c (log p_clean,c − log p_c), both log-softmaxes in double. It is 0
/// at the clean logits, and so is its gradient there: attribution at the clean run sees nothing through it.
/// </summary>
internal sealed class KlDivergenceMetric : LogitMetric
{
    private readonly double[] _logProbabilities;

    public KlDivergenceMetric(float[] cleanLogits, int classes) : base(cleanLogits.Length / Math.Max(classes, 1), classes)
    {
        if (cleanLogits.Length != Rows * Classes)
            throw new InterventionException($"The KL divergence needs the clean logits as rows of {classes} classes; {cleanLogits.Length} values are not.");
        _logProbabilities = new double[cleanLogits.Length];
        for (var r = 0; r < Rows; r++)
            LogSoftmax(cleanLogits.AsSpan(r * Classes, Classes), _logProbabilities.AsSpan(r * Classes, Classes));
    }

    public override string Name => "KL divergence";

    private protected override double RowValue(ReadOnlySpan<float> logits, int row)
    {
        Span<double> log = logits.Length <= 256 ? stackalloc double[logits.Length] : new double[logits.Length];
        LogSoftmax(logits, log);
        var clean = _logProbabilities.AsSpan(row * Classes, Classes);
        var sum = 0.0;
        for (var c = 0; c < logits.Length; c++) sum += Math.Exp(clean[c]) * (clean[c] - log[c]);
        return sum;
    }

    /// <summary>softmax(logits) − p_clean.</summary>
    private protected override void RowGradient(ReadOnlySpan<float> logits, int row, Span<double> gradient)
    {
        LogSoftmax(logits, gradient);
        var clean = _logProbabilities.AsSpan(row * Classes, Classes);
        for (var c = 0; c < logits.Length; c++) gradient[c] = Math.Exp(gradient[c]) - Math.Exp(clean[c]);
    }

    private static void LogSoftmax(ReadOnlySpan<float> logits, Span<double> log)
    {
        var max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var sum = 0.0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        var shift = max + Math.Log(sum);
        for (var c = 0; c < logits.Length; c++) log[c] = logits[c] - shift;
    }
}
