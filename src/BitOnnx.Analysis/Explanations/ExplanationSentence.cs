using System.Globalization;
using System.Text;
using BitOnnx.Core.Explanations;

namespace BitOnnx.Analysis.Explanations;

/// <summary>
/// The sentence a person reads for an explanation: "neuron 17: ReLU(2.00·cos(2π·14·(a+b)/113 − 0.60) − 0.400), fires
/// where the cosine is above 0.20; 99.8% explained". It names the terms that carry the formula (those with at least a
/// tenth of the largest amplitude, "+ …" standing for the rest above a thousandth of it); the simulator computes every term.
/// </summary>
internal static class ExplanationSentence
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Of(string unitName, int unit, ExplanationKind kind, FourierFormula formula, double fraction, bool polysemantic,
        IReadOnlyList<(int Frequency, double Share)> frequencies)
    {
        var head = $"{unitName} {unit}: ";
        if (kind == ExplanationKind.Dead)
            return head + (formula.Offset == 0 ? "dead (0 on every pair)" : $"dead (constant {Number(formula.Offset)} on every pair)");
        var explained = $"{Percent(fraction)} explained";
        if (polysemantic)
        {
            var list = string.Join(" and ", frequencies.Select(f => f.Frequency.ToString(Invariant)));
            var shares = string.Join(" and ", frequencies.Select(f => Percent(f.Share)));
            return head + $"polysemantic: {list} ({shares} of the variance); {(formula.Relu ? "a ReLU" : "a polynomial")} of both, {explained}";
        }
        var body = Body(formula);
        var terms = formula.Terms.OrderByDescending(t => t.Amplitude).ToArray();
        var dominant = terms.Length == 1 || terms.Length > 1 && terms[0].Amplitude >= 5 * terms[1].Amplitude;
        if (formula.Relu && dominant && terms[0].Amplitude > 0)
        {
            var threshold = -formula.Offset / terms[0].Amplitude;
            if (threshold > -1 && threshold < 1)
                return head + $"ReLU({body}), fires where the cosine is above {threshold.ToString("F2", Invariant)} of its max; {explained}";
        }
        return head + (formula.Relu ? $"ReLU({body})" : body) + $"; {explained}";
    }

    /// <summary>The formula before the ReLU: its main terms, largest first, then the offset.</summary>
    public static string Body(FourierFormula formula)
    {
        var terms = formula.Terms.OrderByDescending(t => t.Amplitude).ToArray();
        var largest = terms.Length == 0 ? 0 : terms[0].Amplitude;
        var shown = terms.Where(t => t.Amplitude >= 0.1 * largest).ToArray();
        var text = new StringBuilder();
        foreach (var t in shown)
        {
            if (text.Length > 0) text.Append(" + ");
            text.Append(Number(t.Amplitude)).Append("·cos(2π·").Append(t.Frequency.ToString(Invariant)).Append('·')
                .Append(Argument(t.Axis)).Append('/').Append(formula.P.ToString(Invariant));
            var phase = Math.IEEERemainder(t.Phase, 2 * Math.PI);
            if (Math.Abs(phase) >= 0.005) text.Append(phase > 0 ? " − " : " + ").Append(Math.Abs(phase).ToString("F2", Invariant));
            text.Append(')');
        }
        // Terms below a thousandth of the largest are rounding, not content: no "…" for them.
        if (terms.Skip(shown.Length).Any(t => t.Amplitude >= 1e-3 * largest)) text.Append(" + …");
        if (text.Length == 0 || Math.Abs(formula.Offset) >= 0.01 * largest)
        {
            if (text.Length == 0) text.Append(Number(formula.Offset));
            else text.Append(formula.Offset < 0 ? " − " : " + ").Append(Number(Math.Abs(formula.Offset)));
        }
        return text.ToString();
    }

    private static string Argument(FourierAxis axis) => axis switch
    {
        FourierAxis.A => "a",
        FourierAxis.B => "b",
        FourierAxis.Sum => "(a+b)",
        _ => "(a−b)",
    };

    private static string Number(double v) => v.ToString(Math.Abs(v) >= 100 ? "F0" : "G3", Invariant);

    /// <summary>"97%", with a decimal (rounded down) from 99% on, so 0.9996 reads 99.9%, not 100%.</summary>
    private static string Percent(double fraction) => fraction >= 0.99 && fraction < 1
        ? (Math.Floor(1000 * fraction) / 10).ToString("F1", Invariant) + "%"
        : (100 * fraction).ToString("F0", Invariant) + "%";
}
