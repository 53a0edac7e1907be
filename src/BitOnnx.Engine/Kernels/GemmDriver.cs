using System.Runtime.CompilerServices;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// The blocked loops around one micro-kernel (the GotoBLAS/BLIS scheme, Goto &amp; van de Geijn 2008): for each
/// column block and group of depth blocks, pack op(B) once into L2; then for each row block, and each depth block
/// of the group, take that block of op(A) (packed when A is transposed, in place otherwise) and sweep each of its
/// micro-panels (held in L1) across every B micro-panel. Taking the depth blocks of a row block together keeps its
/// part of C in cache between them.
/// Block sizes are in <see cref="GemmBlocking"/>; partial tiles go through a scratch tile so the kernel always runs
/// whole.
/// </summary>
internal static unsafe class GemmDriver<TKernel>
    where TKernel : struct, IGemmMicroKernel
{
    /// <summary>Computes the band of C that part <paramref name="part"/> of the job's partition owns.</summary>
    public static void RunPart(in GemmJob job, int part)
    {
        (int row0, int row1, int column0, int column1) = job.Partition.Band(part);
        RunBand(job, row0, row1, column0, column1);
    }

    /// <summary>Computes C[row0..row1, column0..column1) from all of k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunBand(in GemmJob job, int row0, int row1, int column0, int column1)
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        GemmShape shape = job.Shape;
        int paddedWidest = RoundUp(Math.Min(GemmBlocking.ColumnBlock, column1 - column0), nr);
        int groupDepth = GemmBlocking.DepthGroupFor(shape.K, paddedWidest);
        bool shared = job.Partition.SharedRowBlock > 0;
        int rowBlock = shared ? job.Partition.SharedRowBlock : GemmBlocking.RowBlockFor(mr, row1 - row0);
        int tileFloats = mr * nr;
        // A transposed A is packed a row block at a time; a row-major one only ever has its ragged last panel packed.
        int aBlockFloats = (shape.TransposeA ? rowBlock / mr : 1) * GemmBlocking.APanelFloats(mr);
        float* aBlock = PackingWorkspace.Get(aBlockFloats + tileFloats + (groupDepth * paddedWidest));
        float* tile = aBlock + aBlockFloats;
        float* bGroup = tile + tileFloats;
        var prefetch = default(PrefetchStream);

        for (int jc = column0; jc < column1; jc += GemmBlocking.ColumnBlock)
        {
            int nc = Math.Min(GemmBlocking.ColumnBlock, column1 - jc), paddedNc = RoundUp(nc, nr);
            for (int group = 0; group < shape.K; group += groupDepth)
            {
                int groupEnd = Math.Min(shape.K, group + groupDepth);
                for (int pc = group; pc < groupEnd; pc += GemmBlocking.DepthBlock)
                {
                    int kc = Math.Min(GemmBlocking.DepthBlock, groupEnd - pc);
                    GemmPacking.PackB<TKernel>(job.B, shape.N, shape.K, shape.TransposeB, pc, kc, jc, nc,
                        bGroup + ((long)(pc - group) * paddedNc));
                }

                if (!shape.TransposeB && nc == shape.N && groupEnd < shape.K)
                {
                    // The next group's rows of B are one stretch: fetch them while this group runs.
                    prefetch.SetLater(job.B + ((long)groupEnd * shape.N), (long)Math.Min(groupDepth, shape.K - groupEnd) * shape.N);
                }

                for (int ic = shared ? job.ClaimRows() : row0; ic < row1; ic = shared ? job.ClaimRows() : ic + rowBlock)
                {
                    for (int pc = group; pc < groupEnd; pc += GemmBlocking.DepthBlock)
                    {
                        RunBlock(job, ic, Math.Min(rowBlock, row1 - ic), pc, Math.Min(GemmBlocking.DepthBlock, groupEnd - pc),
                            jc, nc, aBlock, bGroup + ((long)(pc - group) * paddedNc), tile, ref prefetch);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Multiplies block (ic, pc) of op(A) by the packed depth block of B into C. A transposed A is packed first; a
    /// row-major A is read in place, whole micro-panels straight from A with its row stride, because copying it
    /// first cost more than it saved: the copy's cache misses stall, while the kernel's overlap its multiply-adds
    /// (the epoch's n ≤ 128 products ran 5 to 12 % faster on AVX-512, the others within noise; AVX2 gained less).
    /// </summary>
    private static void RunBlock(in GemmJob job, int ic, int mc, int pc, int kc, int jc, int nc, float* aBlock,
        float* bBlock, float* tile, ref PrefetchStream prefetch)
    {
        GemmShape shape = job.Shape;
        int mr = TKernel.Rows;
        bool loadC = shape.Accumulate || pc > 0;
        // The last depth block completes this block's sums.
        GemmEpilogue epilogue = pc + kc == shape.K ? job.Epilogue : default;
        nint ldc = shape.N;
        float* cBlock = job.C + ((long)ic * ldc) + jc;
        if (shape.TransposeA)
        {
            GemmPacking.PackAColumns<TKernel>(job.A, shape.M, ic, mc, pc, kc, aBlock);
            if (mc == shape.M && pc + kc < shape.K)
            {
                // All of A's columns: the next depth block's rows are one stretch.
                prefetch.SetNext(job.A + ((long)(pc + kc) * shape.M), (long)Math.Min(kc, shape.K - pc - kc) * shape.M);
            }

            SweepBlock(kc, APanels.PackedColumns(aBlock, mr), mc, bBlock, nc, cBlock, ldc, loadC, tile, epilogue, ref prefetch);
            return;
        }

        int inPlaceRows = mc / mr * mr;
        if (inPlaceRows > 0)
        {
            // The rows after the first micro-panel, up to the next block's first one, are one stretch of A.
            float* origin = job.A + ((long)ic * shape.K) + pc;
            int aheadRows = Math.Min(shape.M, ic + mc + mr) - (ic + mr);
            prefetch.SetNext(origin + ((long)mr * shape.K), ((long)aheadRows * shape.K) - pc);
            SweepBlock(kc, APanels.InPlace(origin, shape.K, mr), inPlaceRows, bBlock, nc, cBlock, ldc, loadC, tile,
                epilogue, ref prefetch);
        }

        // Rows past the last whole micro-panel are packed with zero padding, so the kernel never reads past A.
        if (inPlaceRows < mc)
        {
            GemmPacking.PackARows<TKernel>(job.A, shape.K, ic + inPlaceRows, mc - inPlaceRows, pc, kc, aBlock);
            SweepBlock(kc, APanels.PackedRows(aBlock, mr), mc - inPlaceRows, bBlock, nc, cBlock + (inPlaceRows * ldc),
                ldc, loadC, tile, epilogue, ref prefetch);
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>
    /// Every A micro-panel of a block of <paramref name="mc"/> rows against the packed B block; each finished row of
    /// tiles then gets <paramref name="epilogue"/> while it is in L1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SweepBlock(int kc, in APanels a, int mc, float* bBlock, int nc, float* cBlock, nint ldc,
        bool loadC, float* tile, GemmEpilogue epilogue, ref PrefetchStream prefetch)
    {
        int mr = TKernel.Rows;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            Sweep(kc, a, a.Panel(ir / mr), bBlock, nc, cBlock + (ir * ldc), ldc, rows, loadC, tile, ref prefetch);
            if (epilogue.Kind != EpilogueKind.None)
            {
                epilogue.Apply(cBlock + (ir * ldc), rows, nc, ldc);
            }
        }
    }

    /// <summary>One A micro-panel against every B micro-panel of the block: a row of tiles of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sweep(int kc, in APanels a, float* aPanel, float* bBlock, int nc, float* cRow, nint ldc,
        int rows, bool loadC, float* tile, ref PrefetchStream prefetch)
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        nint rowStride = a.RowStride, stepStride = a.StepStride;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int columns = Math.Min(nr, nc - jr);
            float* bPanel = bBlock + ((long)jr * kc);
            float* ahead = prefetch.Take(kc, bPanel);
            if (rows == mr && columns == nr)
            {
                TKernel.Multiply(kc, aPanel, rowStride, stepStride, bPanel, cRow + jr, ldc, loadC, ahead);
                continue;
            }

            // A partial tile: run the whole kernel on scratch, then copy back only the real rows and columns.
            if (loadC)
            {
                for (int i = 0; i < rows; i++)
                {
                    GemmPacking.Copy(cRow + (i * ldc) + jr, tile + (i * nr), columns);
                }
            }

            TKernel.Multiply(kc, aPanel, rowStride, stepStride, bPanel, tile, nr, loadC, ahead);
            for (int i = 0; i < rows; i++)
            {
                GemmPacking.Copy(tile + (i * nr), cRow + (i * ldc) + jr, columns);
            }
        }
    }
}
