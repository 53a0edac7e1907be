using BitOnnx.Core.Explanations;

namespace BitOnnx.Analysis.Explanations;

/// <summary>What kind of formula explains a unit.</summary>
public enum ExplanationKind
{
    /// <summary>The unit does not vary over the pairs (never active, or constant): its formula is that constant.</summary>
    Dead,

    /// <summary>A degree-2 polynomial in cos and sin of its frequencies (the unit's map projected on their blocks).</summary>
    Fourier,

    /// <summary>max(·, 0) of such a polynomial: a ReLU of a Fourier pre-activation, fitted as a whole.</summary>
    ReluFourier,
}

/// <summary>The share of a unit's variance in each of the eight non-constant terms of its frequency's degree-2 block.</summary>
/// <param name="CosA">cos(2πfa/P).</param>
/// <param name="SinA">sin(2πfa/P).</param>
/// <param name="CosB">cos(2πfb/P).</param>
/// <param name="SinB">sin(2πfb/P).</param>
/// <param name="CosACosB">cos a·cos b.</param>
/// <param name="CosASinB">cos a·sin b.</param>
/// <param name="SinACosB">sin a·cos b.</param>
/// <param name="SinASinB">sin a·sin b.</param>
public sealed record TermShares(double CosA, double SinA, double CosB, double SinB, double CosACosB, double CosASinB, double SinACosB, double SinASinB)
{
    /// <summary>The terms' names as the CSV and the page show them, in the order of <see cref="Values"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cos a", "sin a", "cos b", "sin b", "cos a cos b", "cos a sin b", "sin a cos b", "sin a sin b"];

    public double[] Values => [CosA, SinA, CosB, SinB, CosACosB, CosASinB, SinACosB, SinASinB];

    /// <summary>Shares of nothing, for a dead unit.</summary>
    public static TermShares None { get; } = new(0, 0, 0, 0, 0, 0, 0, 0);
}

/// <summary>
/// A unit's activation over (a, b) explained by a formula (<see cref="FourierFormula"/>): its kind, its frequency or
/// frequencies, the fraction of the map's variance the formula explains (1 − SSE/SST, the formula evaluated in double
/// against the map), which frequencies and terms carry the map (fractions of its variance in each frequency's degree-2
/// block, and in each term of the first frequency's), and a sentence a person reads. The formula alone is what
/// <see cref="UnitSimulator"/> and the ONNX graph of BitOnnx.Onnx's <c>FourierFormulaGraph</c> compute.
/// </summary>
/// <param name="Unit">The unit's index (a neuron, a latent).</param>
/// <param name="Kind">Dead, a Fourier polynomial, or a ReLU of one.</param>
/// <param name="Formula">The simulator's parameters.</param>
/// <param name="FractionExplained">1 − Σ(map − formula)² / Σ(map − mean)²; 1 for a dead unit.</param>
/// <param name="Polysemantic">Whether two frequencies each carry a large share and no one-frequency fit explains enough (<see cref="ExplainerOptions"/>).</param>
/// <param name="FrequencyShares">[f − 1]: the fraction of the variance in frequency f's degree-2 block (Li 2024's FVE of f); zeros for a dead unit.</param>
/// <param name="Terms">The fraction of the variance in each term of the first frequency's block.</param>
/// <param name="Sentence">"neuron 17: ReLU(2.00·cos(2π·14·(a+b)/113 − 0.60) − 0.40), fires where the cosine is above 0.20; 99% explained".</param>
public sealed record UnitExplanation(int Unit, ExplanationKind Kind, FourierFormula Formula, double FractionExplained, bool Polysemantic,
    double[] FrequencyShares, TermShares Terms, string Sentence)
{
    /// <summary>The modulus.</summary>
    public int P => Formula.P;

    /// <summary>The formula's frequencies, largest share first; empty for a dead unit.</summary>
    public int[] Frequencies => Formula.Frequencies.OrderByDescending(f => FrequencyShares[f - 1]).ThenBy(f => f).ToArray();

    /// <summary>The frequency the unit is explained by (the first of a polysemantic unit's); 0 for a dead unit.</summary>
    public int Frequency => Frequencies.FirstOrDefault();

    /// <summary>
    /// For a ReLU of one dominant cosine A·cos(·) + c: the level −c/A of the cosine above which the unit fires, as a fraction
    /// of its maximum; NaN for any other formula.
    /// </summary>
    public double Threshold => Kind == ExplanationKind.ReluFourier && Dominant() is { } t ? -Formula.Offset / t.Amplitude : double.NaN;

    /// <summary>The one term of the formula whose amplitude is at least <paramref name="ratio"/> times every other's, if any.</summary>
    public FourierTerm? Dominant(double ratio = 5)
    {
        var terms = Formula.Terms.OrderByDescending(t => t.Amplitude).ToArray();
        if (terms.Length == 0) return null;
        return terms.Length == 1 || terms[0].Amplitude >= ratio * terms[1].Amplitude ? terms[0] : null;
    }
}
