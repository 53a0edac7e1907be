using System.Globalization;

namespace BitOnnx.Pipelines.Arguments;

/// <summary>
/// Readers of option values. Each throws <see cref="FormatException"/> with what is wrong with the text ("is not a
/// whole number", "is out of range"); <see cref="OptionSpec{T}.Parse"/> adds the option, the text and what is allowed.
/// </summary>
public static class OptionValues
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static Func<string, int> WholeNumber(int min, int max = int.MaxValue) => text =>
    {
        var value = WholeNumber(text);
        return value >= min && value <= max ? (int)value : throw new FormatException("is out of range");
    };

    public static Func<string, long> LongWholeNumber(long min) => text =>
    {
        var value = WholeNumber(text);
        return value >= min ? value : throw new FormatException("is out of range");
    };

    /// <summary>A finite number for which <paramref name="inRange"/> holds; "1e-3" and "0.001" both read.</summary>
    public static Func<string, double> Number(Func<double, bool> inRange) => text =>
    {
        if (!double.TryParse(text, NumberStyles.Float, Invariant, out var value) || !double.IsFinite(value))
            throw new FormatException("is not a number");
        return inRange(value) ? value : throw new FormatException("is out of range");
    };

    /// <summary>One of <paramref name="choices"/>, spelled exactly.</summary>
    public static Func<string, string> Choice(IReadOnlyList<string> choices) => text =>
        choices.Contains(text, StringComparer.Ordinal) ? text : throw new FormatException("is not a choice");

    public static Func<string, string> Text() => text =>
        text.Length > 0 ? text : throw new FormatException("is empty");

    /// <summary>The choices as a phrase: "a", "a or b", "a, b or c".</summary>
    public static string OrList(IReadOnlyList<string> choices) =>
        choices.Count == 1 ? choices[0] : string.Join(", ", choices.Take(choices.Count - 1)) + " or " + choices[^1];

    private static long WholeNumber(string text)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, Invariant, out var value)) return value;
        // Digits too many for a long are a whole number out of range, not a malformed one.
        var digits = text.StartsWith('-') || text.StartsWith('+') ? text[1..] : text;
        throw new FormatException(digits.Length > 0 && digits.All(char.IsAsciiDigit) ? "is out of range" : "is not a whole number");
    }
}
