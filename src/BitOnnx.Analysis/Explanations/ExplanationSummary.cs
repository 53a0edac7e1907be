namespace BitOnnx.Analysis.Explanations;

/// <summary>
/// How well a layer's units are explained: how many there are, dead, polysemantic, of each kind, and the fraction
/// explained over the live ones (median, and the share at or above <see cref="ExplainerOptions.ExplainedFraction"/>).
/// </summary>
public sealed record ExplanationSummary(int Units, int Dead, int Polysemantic, int Fourier, int ReluFourier, double MedianFractionExplained,
    double ShareExplained, double Threshold)
{
    public static ExplanationSummary Of(IReadOnlyList<UnitExplanation> explanations, ExplainerOptions? options = null)
    {
        var threshold = (options ?? new ExplainerOptions()).ExplainedFraction;
        var live = explanations.Where(e => e.Kind != ExplanationKind.Dead).Select(e => e.FractionExplained).Order().ToArray();
        var median = live.Length == 0 ? double.NaN
            : live.Length % 2 == 1 ? live[live.Length / 2] : 0.5 * (live[live.Length / 2 - 1] + live[live.Length / 2]);
        return new ExplanationSummary(explanations.Count, explanations.Count(e => e.Kind == ExplanationKind.Dead),
            explanations.Count(e => e.Polysemantic), explanations.Count(e => e.Kind == ExplanationKind.Fourier),
            explanations.Count(e => e.Kind == ExplanationKind.ReluFourier), median,
            live.Length == 0 ? double.NaN : live.Count(v => v >= threshold) / (double)live.Length, threshold);
    }
}
