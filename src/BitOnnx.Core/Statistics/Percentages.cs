using System.Globalization;

namespace BitOnnx.Core.Statistics;

/// <summary>Accuracies and their intervals as percentages, with the decimals the number of trials resolves.</summary>
public static class Percentages
{
    /// <summary>
    /// <paramref name="fraction"/> as "99.99963%": one decimal fewer than the digits of <paramref name="trials"/>, so
    /// that one event in a million, or an interval's end near 100%, still shows (three decimals would print a
    /// million questions with 3 failures, and the interval of none, as 100.000%).
    /// </summary>
    public static string Of(double fraction, long trials)
    {
        var decimals = Math.Clamp((int)Math.Ceiling(Math.Log10(Math.Max(trials, 1))) - 1, 1, 7);
        return (fraction * 100).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + "%";
    }
}
