namespace BitOnnx.Core.Statistics;

/// <summary>A two-sided interval for a probability.</summary>
public readonly record struct ProbabilityInterval(double Lower, double Upper);

/// <summary>
/// The exact binomial interval of Clopper and Pearson (1934) for the probability of an event seen k times in n trials
/// (a model's failures over n fresh questions): Lower = Beta⁻¹(α/2; k, n − k + 1), 0 when k = 0, and Upper =
/// Beta⁻¹(1 − α/2; k + 1, n − k), 1 when k = n, with α = 1 − confidence. Each end is where a binomial tail reaches α/2:
/// P(X ≥ k | Lower) = α/2 and P(X ≤ k | Upper) = α/2. It never undercovers, which matters for "fewer than 10 failures
/// in a million" claims (Quirke et al. 2024 report 99.999%).
/// </summary>
public static class ClopperPearson
{
    public static ProbabilityInterval Interval(long events, long trials, double confidence = 0.95)
    {
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials), $"An interval needs at least one trial (got {trials}).");
        if (events < 0 || events > trials) throw new ArgumentOutOfRangeException(nameof(events), $"Events must lie in 0..{trials} (got {events}).");
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), $"Confidence must lie strictly between 0 and 1 (got {confidence}).");
        double halfAlpha = (1 - confidence) / 2;
        double lower = events == 0 ? 0 : IncompleteBeta.Inverse(halfAlpha, events, trials - events + 1);
        double upper = events == trials ? 1 : IncompleteBeta.Inverse(1 - halfAlpha, events + 1, trials - events);
        return new ProbabilityInterval(lower, upper);
    }
}
