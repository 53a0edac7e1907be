namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Splits C into contiguous bands of whole kernel tiles, one band per part, along rows or along columns; or, when
/// <see cref="SharedRowBlock"/> is positive, lets the parts claim blocks of that many rows from a shared counter,
/// so a part whose thread is held up (another process on the core) leaves its blocks to the others. That needs
/// each part's packed B to cover all of k and n, so it is used when B fits one group (all the engine's k ≤ 512
/// products). The split never touches k, and each element is computed the same way whoever computes it.
/// </summary>
internal readonly record struct GemmPartition(
    int Parts, bool SplitRows, int M, int N, int TileRows, int TileColumns, int SharedRowBlock = 0)
{
    /// <summary>Shared row blocks per part: enough to even out a held-up thread, few enough to keep blocks large.</summary>
    private const int SharedBlocksPerPart = 4;

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
        if (rowCost > columnCost)
        {
            return new GemmPartition(columnParts, false, shape.M, shape.N, tileRows, tileColumns);
        }

        int paddedN = CeilDiv(shape.N, tileColumns) * tileColumns;
        bool bFitsOneGroup = shape.N <= GemmBlocking.ColumnBlock && GemmBlocking.DepthGroupFor(shape.K, paddedN) >= shape.K;
        if (rowParts == 1 || !bFitsOneGroup)
        {
            return new GemmPartition(rowParts, true, shape.M, shape.N, tileRows, tileColumns);
        }

        int target = CeilDiv(CeilDiv(shape.M, rowParts * SharedBlocksPerPart), tileRows) * tileRows;
        int block = Math.Min(target, GemmBlocking.RowBlockFor(tileRows, shape.M));
        return new GemmPartition(rowParts, true, shape.M, shape.N, tileRows, tileColumns, block);
    }

    /// <summary>
    /// The band of C that <paramref name="part"/> computes, rows [Row0, Row1) × columns [Column0, Column1); with shared
    /// row blocks, the whole of C, of which the part computes the blocks it claims.
    /// </summary>
    public (int Row0, int Row1, int Column0, int Column1) Band(int part)
    {
        if (SharedRowBlock > 0)
        {
            return (0, M, 0, N);
        }

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
