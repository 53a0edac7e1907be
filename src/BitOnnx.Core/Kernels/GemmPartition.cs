namespace BitOnnx.Core.Kernels;

/// <summary>
/// Splits C into contiguous bands of whole kernel tiles, one band per part, along rows or along columns.
/// The split never touches k: each element is computed by one part with the same summation order, and the
/// plan depends only on the shape, the kernel's tile and the thread count, so runs repeat exactly.
/// </summary>
internal readonly record struct GemmPartition(int Parts, bool SplitRows, int M, int N, int TileRows, int TileColumns)
{
    public static GemmPartition Plan(in GemmShape shape, int tileRows, int tileColumns, int threads)
    {
        int rowTiles = CeilDiv(shape.M, tileRows), columnTiles = CeilDiv(shape.N, tileColumns);
        long byWork = Math.Max(1, shape.MultiplyAdds / GemmBlocking.MinMultiplyAddsPerPart);
        int limit = (int)Math.Min(threads, byWork);
        int rowParts = Math.Min(limit, rowTiles), columnParts = Math.Min(limit, columnTiles);

        // The busiest part's time: its tiles' multiply-adds plus what it packs. A row band packs its own rows of A but
        // all of B; a column band packs all of A but its own columns of B.
        long tileWork = (long)tileRows * tileColumns * shape.K;
        long rowBand = CeilDiv(rowTiles, rowParts), columnBand = CeilDiv(columnTiles, columnParts);
        long rowCost = (rowBand * columnTiles * tileWork)
            + ((rowBand * tileRows) + shape.N) * (long)shape.K * GemmBlocking.PackCostInMultiplyAdds;
        long columnCost = (columnBand * rowTiles * tileWork)
            + (shape.M + (columnBand * tileColumns)) * (long)shape.K * GemmBlocking.PackCostInMultiplyAdds;
        return rowCost <= columnCost
            ? new GemmPartition(rowParts, true, shape.M, shape.N, tileRows, tileColumns)
            : new GemmPartition(columnParts, false, shape.M, shape.N, tileRows, tileColumns);
    }

    /// <summary>The band of C that <paramref name="part"/> computes: rows [Row0, Row1) × columns [Column0, Column1).</summary>
    public (int Row0, int Row1, int Column0, int Column1) Band(int part)
    {
        if (SplitRows)
        {
            (int start, int end) = Split(CeilDiv(M, TileRows), part, TileRows, M);
            return (start, end, 0, N);
        }

        (int first, int last) = Split(CeilDiv(N, TileColumns), part, TileColumns, N);
        return (0, M, first, last);
    }

    private (int Start, int End) Split(int tiles, int part, int tile, int length)
    {
        int t0 = (int)((long)tiles * part / Parts), t1 = (int)((long)tiles * (part + 1) / Parts);
        return (t0 * tile, Math.Min(length, t1 * tile));
    }

    private static int CeilDiv(int value, int divisor) => (value + divisor - 1) / divisor;
}
