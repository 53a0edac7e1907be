namespace BitOnnx.Engine.Sequence;

/// <summary>
/// A bias added to every row of a [rows, width] buffer, and its gradient: the rows summed in row order, on the calling
/// thread, so that the sum is the same whatever the thread count.
/// </summary>
internal static class RowBias
{
    public static void Add(Span<float> values, ReadOnlySpan<float> bias)
    {
        int width = bias.Length;
        for (var start = 0; start < values.Length; start += width)
        {
            var row = values.Slice(start, width);
            for (var k = 0; k < width; k++) row[k] += bias[k];
        }
    }

    /// <summary>gradient += Σ_rows values.</summary>
    public static void SumRowsInto(ReadOnlySpan<float> values, Span<float> gradient)
    {
        int width = gradient.Length;
        for (var start = 0; start < values.Length; start += width)
        {
            var row = values.Slice(start, width);
            for (var k = 0; k < width; k++) gradient[k] += row[k];
        }
    }
}
