namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Side-by-side matrices: several row-major [rows, width] matrices as the column blocks of one [rows, parts·width]
/// matrix, so that products sharing an operand run as one wider product (block 0's W_Q, W_K and W_V).
/// </summary>
public static class ColumnBlocks
{
    /// <summary>joined[r, p·width + j] = parts[p][r, j].</summary>
    public static void Join(IReadOnlyList<float[]> parts, int rows, int width, float[] joined)
    {
        Require(parts, rows, width, joined);
        var stride = parts.Count * width;
        for (var p = 0; p < parts.Count; p++)
            for (var r = 0; r < rows; r++)
                parts[p].AsSpan(r * width, width).CopyTo(joined.AsSpan((r * stride) + (p * width), width));
    }

    /// <summary>parts[p][r, j] = joined[r, p·width + j]: the inverse of <see cref="Join"/>.</summary>
    public static void Split(float[] joined, int rows, int width, IReadOnlyList<float[]> parts)
    {
        Require(parts, rows, width, joined);
        var stride = parts.Count * width;
        for (var p = 0; p < parts.Count; p++)
            for (var r = 0; r < rows; r++)
                joined.AsSpan((r * stride) + (p * width), width).CopyTo(parts[p].AsSpan(r * width, width));
    }

    private static void Require(IReadOnlyList<float[]> parts, int rows, int width, float[] joined)
    {
        foreach (var part in parts)
            if (part.Length < rows * width)
                throw new ArgumentException($"A part holds {part.Length} floats, fewer than its {rows}×{width}.", nameof(parts));
        if (joined.Length < rows * width * parts.Count)
            throw new ArgumentException($"The joined matrix holds {joined.Length} floats, fewer than {rows}×{parts.Count * width}.", nameof(joined));
    }
}
