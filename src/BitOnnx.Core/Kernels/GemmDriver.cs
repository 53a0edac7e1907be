using System.Runtime.CompilerServices;

namespace BitOnnx.Core.Kernels;

/// <summary>
/// The blocked loops around one micro-kernel (the GotoBLAS/BLIS scheme, Goto &amp; van de Geijn 2008): for each
/// column block and depth block, pack op(B) once into an L2-resident block; then, for each band of kernel rows,
/// pack that A micro-panel into L1 and sweep it across every B micro-panel. Loop order and block sizes are in
/// <see cref="GemmBlocking"/>; partial tiles go through a scratch tile so the kernel always runs whole.
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
        int widest = Math.Min(GemmBlocking.ColumnBlock, column1 - column0);
        int paddedWidest = (widest + nr - 1) / nr * nr;
        int rowBlock = GemmBlocking.RowBlockFor(mr, row1 - row0), panelFloats = mr * GemmBlocking.DepthBlock, tileFloats = mr * nr;
        int aBlockFloats = rowBlock * GemmBlocking.DepthBlock;
        float* aBlock = PackingWorkspace.Get(aBlockFloats + tileFloats + (GemmBlocking.DepthBlock * paddedWidest));
        float* tile = aBlock + aBlockFloats;
        float* bBlock = tile + tileFloats;
        nint ldc = shape.N;

        for (int jc = column0; jc < column1; jc += GemmBlocking.ColumnBlock)
        {
            int nc = Math.Min(GemmBlocking.ColumnBlock, column1 - jc);
            for (int pc = 0; pc < shape.K; pc += GemmBlocking.DepthBlock)
            {
                int kc = Math.Min(GemmBlocking.DepthBlock, shape.K - pc);
                bool loadC = shape.Accumulate || pc > 0;
                GemmPacking.PackB(job.B, shape.N, shape.K, shape.TransposeB, pc, kc, jc, nc, nr, bBlock);
                for (int ic = row0; ic < row1; ic += rowBlock)
                {
                    int mc = Math.Min(rowBlock, row1 - ic);
                    float* cBlock = job.C + ((long)ic * ldc) + jc;
                    if (shape.TransposeA)
                    {
                        GemmPacking.PackAColumns(job.A, shape.M, ic, mc, pc, kc, mr, aBlock);
                        SweepBlock<ColumnPanelLayout>(kc, aBlock, bBlock, mc, nc, cBlock, ldc, loadC, tile);
                    }
                    else
                    {
                        GemmPacking.PackARows(job.A, shape.K, ic, mc, pc, kc, mr, aBlock);
                        SweepBlock<RowPanelLayout>(kc, aBlock, bBlock, mc, nc, cBlock, ldc, loadC, tile);
                    }
                }
            }
        }
    }

    /// <summary>Every A micro-panel of a packed row block against the packed B block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SweepBlock<TLayout>(int kc, float* aBlock, float* bBlock, int mc, int nc, float* cBlock,
        nint ldc, bool loadC, float* tile)
        where TLayout : struct, IAPanelLayout
    {
        int mr = TKernel.Rows;
        for (int ir = 0; ir < mc; ir += mr)
        {
            float* aPanel = aBlock + (ir * GemmBlocking.DepthBlock);
            Sweep<TLayout>(kc, aPanel, bBlock, nc, cBlock + (ir * ldc), ldc, Math.Min(mr, mc - ir), loadC, tile);
        }
    }

    /// <summary>One A micro-panel against every B micro-panel of the block: a row of tiles of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sweep<TLayout>(int kc, float* aPanel, float* bBlock, int nc, float* cRow, nint ldc, int rows,
        bool loadC, float* tile)
        where TLayout : struct, IAPanelLayout
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int columns = Math.Min(nr, nc - jr);
            float* bPanel = bBlock + ((long)jr * kc);
            if (rows == mr && columns == nr)
            {
                TKernel.Multiply<TLayout>(kc, aPanel, bPanel, cRow + jr, ldc, loadC);
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

            TKernel.Multiply<TLayout>(kc, aPanel, bPanel, tile, nr, loadC);
            for (int i = 0; i < rows; i++)
            {
                GemmPacking.Copy(tile + (i * nr), cRow + (i * ldc) + jr, columns);
            }
        }
    }
}
