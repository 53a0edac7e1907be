using System.Globalization;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>Their answer-impact names: "A" and the digit names of the broken answer tokens, largest first.</summary>
public static class AnswerImpact
{
    /// <summary>"A7654" from answer tokens 7, 6, 5, 4 (any order), compacted to "A7..4" when they run in sequence; "" when none.</summary>
    public static string Name(IEnumerable<int> answerDigits)
    {
        var digits = answerDigits.Distinct().OrderDescending().ToArray();
        if (digits.Length == 0) return "";
        bool wide = digits[0] >= 10; // beyond their one-character digit names: separate them
        string Join(IEnumerable<int> ds) => string.Join(wide ? "," : "", ds.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        bool run = digits.Length >= 3 && digits.Zip(digits.Skip(1)).All(p => p.First - p.Second == 1);
        return run ? $"A{Join([digits[0]])}..{Join([digits[^1]])}" : "A" + Join(digits);
    }
}
