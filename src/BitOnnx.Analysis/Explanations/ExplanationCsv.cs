using System.Globalization;
using System.Text;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Explanations;

namespace BitOnnx.Analysis.Explanations;

/// <summary>
/// Units' explanations as CSV, one row per unit: <c>unit,kind,polysemantic,frequencies,fraction_explained,p,relu,offset,terms,sentence</c>.
/// <c>terms</c> holds every term of the formula as <c>frequency:axis:amplitude:phase</c> (axis a, b, sum, difference),
/// space-separated, numbers round-tripping, so <see cref="ParseFormulas"/> gives back the formulas a simulator needs and
/// nothing else is needed to simulate a unit; the sentence is quoted.
/// </summary>
public static class ExplanationCsv
{
    public const string Header = "unit,kind,polysemantic,frequencies,fraction_explained,p,relu,offset,terms,sentence";

    public static string Format(IEnumerable<UnitExplanation> explanations)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var e in explanations)
        {
            var f = e.Formula;
            var terms = string.Join(' ', f.Terms.Select(t => string.Create(CultureInfo.InvariantCulture,
                $"{t.Frequency}:{AxisName(t.Axis)}:{t.Amplitude:R}:{t.Phase:R}")));
            text.Append(string.Create(CultureInfo.InvariantCulture,
                $"{e.Unit},{KindName(e.Kind)},{(e.Polysemantic ? 1 : 0)},{string.Join(' ', e.Frequencies)},{e.FractionExplained:R},{f.P},{(f.Relu ? 1 : 0)},{f.Offset:R},{terms},"));
            text.Append('"').Append(e.Sentence.Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\"\n");
        }
        return text.ToString();
    }

    public static void Write(string path, IEnumerable<UnitExplanation> explanations) => AtomicFile.WriteText(path, Format(explanations));

    /// <summary>Each row's unit and formula; an <see cref="AnalysisInputException"/> naming the line for anything else.</summary>
    public static IReadOnlyList<(int Unit, FourierFormula Formula)> ParseFormulas(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0].TrimEnd('\r') != Header)
            throw new AnalysisInputException($"An explanations CSV starts with the header '{Header}'; this one does not. Write it with ExplanationCsv.");
        var result = new List<(int, FourierFormula)>();
        for (var i = 1; i < lines.Length; i++)
        {
            try
            {
                var fields = lines[i].Split(',', 10);
                double Number(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
                var terms = fields[8].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t =>
                {
                    var parts = t.Split(':');
                    return new FourierTerm(int.Parse(parts[0], CultureInfo.InvariantCulture), ParseAxis(parts[1]), Number(parts[2]), Number(parts[3]));
                }).ToArray();
                result.Add((int.Parse(fields[0], CultureInfo.InvariantCulture),
                    new FourierFormula(int.Parse(fields[5], CultureInfo.InvariantCulture), Number(fields[7]), terms, fields[6] == "1")));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException or OverflowException)
            {
                throw new AnalysisInputException($"Line {i + 1} of the explanations CSV is not a row of {Header}: {e.Message}");
            }
        }
        return result;
    }

    public static string KindName(ExplanationKind kind) => kind switch
    {
        ExplanationKind.Dead => "dead",
        ExplanationKind.Fourier => "fourier",
        _ => "relu-fourier",
    };

    private static string AxisName(FourierAxis axis) => axis switch
    {
        FourierAxis.A => "a",
        FourierAxis.B => "b",
        FourierAxis.Sum => "sum",
        _ => "difference",
    };

    private static FourierAxis ParseAxis(string name) => name switch
    {
        "a" => FourierAxis.A,
        "b" => FourierAxis.B,
        "sum" => FourierAxis.Sum,
        "difference" => FourierAxis.Difference,
        _ => throw new FormatException($"'{name}' is not an axis (a, b, sum, difference)."),
    };
}
