namespace BitOnnx.Core.Training;

/// <summary>
/// Grokfast-EMA (Lee et al. 2024, "Grokfast: Accelerated Grokking by Amplifying Slow Gradients", arXiv 2405.20233,
/// Algorithm 2): before each optimizer step the gradient g is low-pass filtered, ema ← α·ema + (1 − α)·g, and the slow
/// part amplified, g ← g + λ·ema. The paper's modular-addition setting is α = 0.98, λ = 2.
/// </summary>
public sealed record GrokfastSettings(double Alpha, double Lambda)
{
    public IEnumerable<string> Problems()
    {
        if (!(Alpha is >= 0 and < 1)) yield return $"grokfast alpha must be in [0, 1) (got {Alpha}).";
        if (!(Lambda > 0) || double.IsInfinity(Lambda)) yield return $"grokfast lambda must be positive and finite (got {Lambda}).";
    }

    /// <summary>"ALPHA,LAMBDA" as the CLI takes it and the resume state records it (round-trip formatting).</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Alpha:R},{Lambda:R}");

    /// <summary>Parses "ALPHA,LAMBDA", e.g. "0.98,2"; throws <see cref="Model.ConfigException"/> saying what was wrong.</summary>
    public static GrokfastSettings Parse(string text)
    {
        var parts = text.Split(',');
        var style = System.Globalization.NumberStyles.Float;
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (parts.Length != 2 || !double.TryParse(parts[0], style, culture, out var alpha) || !double.TryParse(parts[1], style, culture, out var lambda))
            throw new Model.ConfigException($"--grokfast takes ALPHA,LAMBDA, two numbers such as 0.98,2 (got '{text}').");
        return new GrokfastSettings(alpha, lambda);
    }
}
