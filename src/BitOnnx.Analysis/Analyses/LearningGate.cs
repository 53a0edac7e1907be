using System.Globalization;
using BitOnnx.Core.Data;

namespace BitOnnx.Analysis.Analyses;

/// <summary>How far a model has learned the task, which bounds what an analysis may claim about its algorithm.</summary>
public enum LearningStatus
{
    /// <summary>At or above <see cref="LearningThresholds.Learned"/>: claims about the algorithm stand.</summary>
    Learned,

    /// <summary>Between the two thresholds: claims are made, marked borderline.</summary>
    Borderline,

    /// <summary>Below <see cref="LearningThresholds.Borderline"/>: no algorithm verdict and no key frequencies are claimed.</summary>
    NotLearned,
}

/// <summary>
/// The accuracies that separate a model that has learned modular addition from one that has not. 99% is the criterion
/// of the grokking literature this toolkit reproduces (Nanda et al. 2023 date grokking by it; Li 2024 and our time-to-99%
/// tables use it), reached at the end of the cleanup phase, when the memorising components are gone and the measures
/// describe the circuit alone. Between 90% and 99% the circuit carries most answers but memorisation still shapes the
/// logits, so the measures describe a mixture: claims are marked borderline. Below 90% (chance is 1/P, under 1% at
/// P = 113) memorisation or noise dominates and a verdict about the algorithm has nothing to describe.
/// </summary>
public sealed record LearningThresholds
{
    public double Learned { get; init; } = 0.99;

    public double Borderline { get; init; } = 0.90;
}

/// <summary>A model's accuracy on the pairs it was not trained on (all pairs when the split is unknown), and its status.</summary>
/// <param name="Status">Learned, borderline or not learned.</param>
/// <param name="Accuracy">The accuracy the status rests on.</param>
/// <param name="HeldOut">True when <paramref name="Accuracy"/> is over held-out pairs; false when over all pairs (no split known).</param>
/// <param name="Pairs">How many pairs it was measured on.</param>
/// <param name="Thresholds">The thresholds applied.</param>
public sealed record LearningGate(LearningStatus Status, double Accuracy, bool HeldOut, int Pairs, LearningThresholds Thresholds)
{
    /// <summary>False when the model has not learned the task: no verdict, no key frequencies.</summary>
    public bool AllowsClaims => Status != LearningStatus.NotLearned;

    /// <summary>One clause with the numbers: "test accuracy 8.50% over 8,939 held-out pairs, below 90%".</summary>
    public string Evidence => string.Create(CultureInfo.InvariantCulture,
        $"{(HeldOut ? "test" : "all-pairs")} accuracy {Accuracy:P2} over {Pairs:N0} {(HeldOut ? "held-out " : "")}pairs") + Status switch
        {
            LearningStatus.Learned => string.Create(CultureInfo.InvariantCulture, $", at least {Thresholds.Learned:P0}"),
            LearningStatus.Borderline => string.Create(CultureInfo.InvariantCulture, $", between {Thresholds.Borderline:P0} and {Thresholds.Learned:P0}"),
            _ => string.Create(CultureInfo.InvariantCulture, $", below {Thresholds.Borderline:P0}"),
        };

    /// <summary>Measures last-position <paramref name="logits"/> [P², P] on the complement of <paramref name="train"/> (or all pairs).</summary>
    public static LearningGate Assess(float[] logits, int p, IReadOnlyList<int>? train, LearningThresholds thresholds)
    {
        var rows = train is { Count: > 0 } ? ModularAdditionLoss.Complement(p, train.ToArray()) : ModularAdditionLoss.AllRows(p);
        var accuracy = ModularAdditionLoss.Accuracy(logits, p, rows);
        if (double.IsNaN(accuracy)) accuracy = 0;
        var status = accuracy >= thresholds.Learned ? LearningStatus.Learned
            : accuracy >= thresholds.Borderline ? LearningStatus.Borderline
            : LearningStatus.NotLearned;
        return new LearningGate(status, accuracy, train is { Count: > 0 }, rows.Length, thresholds);
    }
}
