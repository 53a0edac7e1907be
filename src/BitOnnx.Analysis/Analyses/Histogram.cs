namespace BitOnnx.Analysis.Analyses;

/// <summary>Counts of values in equal-width bins over [Min, Max] (the last bin includes Max).</summary>
public sealed record Histogram(double Min, double Max, int[] Counts)
{
    /// <summary>Width of one bin.</summary>
    public double BinWidth => (Max - Min) / Counts.Length;

    /// <summary>Left edge of bin i.</summary>
    public double BinStart(int i) => Min + i * BinWidth;

    /// <summary>Bins <paramref name="values"/> (NaN values are skipped).</summary>
    public static Histogram Of(IEnumerable<double> values, double min, double max, int bins)
    {
        var counts = new int[bins];
        foreach (var v in values)
        {
            if (double.IsNaN(v)) continue;
            int i = (int)Math.Floor((v - min) / (max - min) * bins);
            counts[Math.Clamp(i, 0, bins - 1)]++;
        }
        return new Histogram(min, max, counts);
    }
}
