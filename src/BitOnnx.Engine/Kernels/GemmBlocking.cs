namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Cache blocking of the fast product, shared by every micro-kernel.
/// Why these sizes (Sapphire/Emerald Rapids core: 48 KiB L1d, 2 MiB L2): one A micro-panel of
/// Rows × DepthBlock floats (12 × 256 × 4 B = 12 KiB) stays in L1 while the B micro-panels of the packed B group
/// (at most 512 KiB) stream past it from L2; a packed (transposed) A block, at most ~528 KiB, waits in L2 too. A
/// longer depth block would push the A panel out of L1; a shorter one would reload each tile of C more often (once
/// per depth block). The engine's widths (113, 128, 512) fit one column block, and for its k ≤ 512 products one B
/// group holds all of k, so B is packed once per call and part and each block of C is finished while it is in cache.
/// On a Zen 4 core (32 KiB L1d, 1 MiB L2) blocks half this size (256 KiB B groups, 264-row A blocks) took the same
/// time, product by product (0.98-1.03, paired, both kernels), so the sizes are not tuned per machine; they never
/// change a bit.
/// </summary>
internal static class GemmBlocking
{
    /// <summary>KC: steps of k per packed block; also the row stride of a <see cref="APanels.PackedRows"/> panel.</summary>
    public const int DepthBlock = 256;

    /// <summary>
    /// MC: rows of op(A) taken at a time. A band of rows is cut into the fewest blocks of at most about 528 rows
    /// (528 × 256 × 4 B = 528 KiB, beside the B block in L2), of equal size in whole kernel rows, so no block is a
    /// sliver. For a transposed A of up to 528 columns a block is whole rows of A, one contiguous stream per depth block.
    /// </summary>
    public static int RowBlockFor(int kernelRows, int bandRows)
    {
        int maxBlock = Math.Max(1, 528 / kernelRows) * kernelRows;
        int blocks = (bandRows + maxBlock - 1) / maxBlock;
        int perBlock = (bandRows + blocks - 1) / blocks;
        return (perBlock + kernelRows - 1) / kernelRows * kernelRows;
    }

    /// <summary>
    /// Floats from one packed A micro-panel to the next: Rows·DepthBlock plus one cache line. Without the extra line
    /// the panels sit a multiple of 4 KiB apart, and packing a transposed A, which writes a few floats into every
    /// panel per step, would hit a single L1 set over and over.
    /// </summary>
    public static int APanelFloats(int kernelRows) => (kernelRows * DepthBlock) + 16;

    /// <summary>
    /// Steps of k whose packed B is kept at once: as many depth blocks as fit in <see cref="BGroupBudgetFloats"/>
    /// for a column block of <paramref name="paddedColumns"/>, at least one.
    /// </summary>
    public static int DepthGroupFor(int depth, int paddedColumns)
    {
        int blocks = Math.Max(1, BGroupBudgetFloats / (DepthBlock * paddedColumns));
        int needed = (depth + DepthBlock - 1) / DepthBlock;
        return Math.Min(blocks, needed) * DepthBlock;
    }

    /// <summary>
    /// Packed B kept in L2 at once (512 KiB). For the engine's k ≤ 512 products that is all of B, so each row block of
    /// C is finished before the next one starts instead of being reloaded from L3 once per depth block. For its
    /// weight gradients (k = 3831) the next group, fetched ahead while this one is used (<see cref="PrefetchStream"/>),
    /// has to fit in L2 beside it, the blocks of A and C: with 1 MiB groups Xᵀ·dH took 1.08-1.10× as long.
    /// </summary>
    public const int BGroupBudgetFloats = 1 << 17;

    /// <summary>NC: columns of C per packed B block.</summary>
    public const int ColumnBlock = 512;

    /// <summary>
    /// Below this many multiply-adds per part (about 7 µs of work at 70 G multiply-adds/s), handing a part to a worker
    /// costs more than it saves: a hand-off costs about 4 µs (100×128×128 takes 24 µs on one thread, 16 µs on two).
    /// </summary>
    public const long MinMultiplyAddsPerPart = 1L << 19;

    /// <summary>Packing a float costs about as much as this many multiply-adds (a vector copy vs 32 FMAs/cycle).</summary>
    public const int PackCostInMultiplyAdds = 4;
}
