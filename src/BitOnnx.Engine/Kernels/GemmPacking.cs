using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, zero-padded panels the micro-kernels read.
/// Padding rows and columns hold zeros so a kernel can always run a full tile; the padded results are discarded.
/// Generic over the kernel so that its tile sizes are constants and each panel step is a fixed set of vector copies.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Rows [row0, row0+rows) and steps [p0, p0+kc) of a row-major A[m×k] into consecutive
    /// <see cref="APanels.PackedRows"/> panels of the kernel's rows (panels <see cref="GemmBlocking.APanelFloats"/> apart,
    /// rows within a panel <see cref="GemmBlocking.DepthBlock"/> floats apart); the last panel's missing rows are zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackARows<TKernel>(float* a, int k, int row0, int rows, int p0, int kc, float* block)
        where TKernel : struct, IGemmMicroKernel
    {
        int mr = TKernel.Rows, panelFloats = GemmBlocking.APanelFloats(mr);
        int paddedRows = (rows + mr - 1) / mr * mr;
        for (int i = 0; i < paddedRows; i++)
        {
            float* target = block + (i / mr * panelFloats) + (i % mr * GemmBlocking.DepthBlock);
            if (i < rows)
            {
                Copy(a + ((long)(row0 + i) * k) + p0, target, kc);
            }
            else
            {
                new Span<float>(target, kc).Clear();
            }
        }
    }

    /// <summary>
    /// Rows [row0, row0+rows) and steps [p0, p0+kc) of op(A) = Aᵀ, A stored [k×m], into consecutive
    /// <see cref="APanels.PackedColumns"/> panels (the kernel's rows of each step side by side, panels
    /// <see cref="GemmBlocking.APanelFloats"/> apart). Each step reads one contiguous stretch of a row of A.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackAColumns<TKernel>(float* a, int m, int row0, int rows, int p0, int kc, float* block)
        where TKernel : struct, IGemmMicroKernel
    {
        // Sixteen steps at a time, panel by panel: writing one step into every panel would touch a new page per
        // panel per step and miss the TLB each time; this way the writes stay on one page while 16 rows of A are read.
        const int StepsPerPass = 16;
        int mr = TKernel.Rows, panelFloats = GemmBlocking.APanelFloats(mr);
        int panels = (rows + mr - 1) / mr;
        for (int pass = 0; pass < kc; pass += StepsPerPass)
        {
            int steps = Math.Min(StepsPerPass, kc - pass);
            float* source = a + ((long)(p0 + pass) * m) + row0;
            for (int r = 0; r < panels; r++)
            {
                float* target = block + (r * panelFloats) + (pass * mr);
                float* from = source + (r * mr);
                int panelRows = Math.Min(mr, rows - (r * mr));
                if (panelRows == mr)
                {
                    for (int p = 0; p < steps; p++, from += m, target += mr)
                    {
                        CopyTileRow<TKernel>(from, target, mr);
                    }

                    continue;
                }

                for (int p = 0; p < steps; p++, from += m, target += mr)
                {
                    ZeroTileRow<TKernel>(target, mr);
                    Copy(from, target, panelRows);
                }
            }
        }
    }

    /// <summary>
    /// Steps [p0, p0+kc) and columns [col0, col0+nc) of op(B) into ⌈nc/nr⌉ panels of kc × nr floats (nr = the
    /// kernel's columns), one after the other, each step's columns side by side; B is stored [k×n], or [n×k] when
    /// transposed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<TKernel>(float* b, int n, int k, bool transposeB, int p0, int kc, int col0, int nc, float* block)
        where TKernel : struct, IGemmMicroKernel
    {
        int nr = TKernel.Columns;
        for (int j0 = 0; j0 < nc; j0 += nr, block += kc * nr)
        {
            int columns = Math.Min(nr, nc - j0);
            if (transposeB)
            {
                MatrixTranspose.Transpose(b + ((long)(col0 + j0) * k) + p0, k, columns, kc, block, nr);
                if (columns < nr)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        new Span<float>(block + ((long)p * nr) + columns, nr - columns).Clear();
                    }
                }

                continue;
            }

            float* source = b + ((long)p0 * n) + col0 + j0;
            float* panel = block;
            if (columns == nr)
            {
                for (int p = 0; p < kc; p++, source += n, panel += nr)
                {
                    CopyTileRow<TKernel>(source, panel, nr);
                }

                continue;
            }

            for (int p = 0; p < kc; p++, source += n, panel += nr)
            {
                ZeroTileRow<TKernel>(panel, nr);
                Copy(source, panel, columns);
            }
        }
    }

    /// <summary>
    /// Copies one full row of a tile: <paramref name="count"/> is the kernel's Rows or Columns, a constant once the
    /// JIT specializes <typeparamref name="TKernel"/>, so this becomes two or three vector moves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyTileRow<TKernel>(float* source, float* target, int count)
        where TKernel : struct, IGemmMicroKernel
    {
        if (count == 32 && Vector512.IsHardwareAccelerated)
        {
            Vector512.Load(source).Store(target);
            Vector512.Load(source + 16).Store(target + 16);
        }
        else if (count == 16 && Vector256.IsHardwareAccelerated)
        {
            Vector256.Load(source).Store(target);
            Vector256.Load(source + 8).Store(target + 8);
        }
        else if (count == 12 && Vector256.IsHardwareAccelerated)
        {
            Vector256.Load(source).Store(target);
            Vector128.Load(source + 8).Store(target + 8);
        }
        else if (count == 6 && Vector128.IsHardwareAccelerated)
        {
            Vector128.Load(source).Store(target);
            *(long*)(target + 4) = *(long*)(source + 4);
        }
        else
        {
            Copy(source, target, count);
        }
    }

    /// <summary>Zeroes one full row of a tile (a constant count once specialized, like <see cref="CopyTileRow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ZeroTileRow<TKernel>(float* target, int count)
        where TKernel : struct, IGemmMicroKernel
    {
        if (count == 32 && Vector512.IsHardwareAccelerated)
        {
            Vector512<float>.Zero.Store(target);
            Vector512<float>.Zero.Store(target + 16);
        }
        else if (count == 16 && Vector256.IsHardwareAccelerated)
        {
            Vector256<float>.Zero.Store(target);
            Vector256<float>.Zero.Store(target + 8);
        }
        else if (count == 12 && Vector256.IsHardwareAccelerated)
        {
            Vector256<float>.Zero.Store(target);
            Vector128<float>.Zero.Store(target + 8);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                target[i] = 0f;
            }
        }
    }

    /// <summary>Copies <paramref name="count"/> floats with the widest vectors the machine has.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* source, float* target, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16)
            {
                Vector512.Load(source + i).Store(target + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 8; i += 8)
            {
                Vector256.Load(source + i).Store(target + i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= count - 4; i += 4)
            {
                Vector128.Load(source + i).Store(target + i);
            }
        }

        for (; i < count; i++)
        {
            target[i] = source[i];
        }
    }
}
