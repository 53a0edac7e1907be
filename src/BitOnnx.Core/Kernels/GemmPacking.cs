using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BitOnnx.Core.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, zero-padded panels the micro-kernels read.
/// Padding rows and columns hold zeros so a kernel can always run a full tile; the padded results are discarded.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Rows [row0, row0+rows) and steps [p0, p0+kc) of a row-major A[m×k] into consecutive
    /// <see cref="RowPanelLayout"/> panels of <paramref name="kernelRows"/> rows, each row
    /// <see cref="GemmBlocking.DepthBlock"/> floats apart; the last panel's missing rows are zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackARows(float* a, int k, int row0, int rows, int p0, int kc, int kernelRows, float* block)
    {
        int paddedRows = (rows + kernelRows - 1) / kernelRows * kernelRows;
        for (int i = 0; i < rows; i++)
        {
            Copy(a + ((long)(row0 + i) * k) + p0, block + (i * GemmBlocking.DepthBlock), kc);
        }

        for (int i = rows; i < paddedRows; i++)
        {
            new Span<float>(block + (i * GemmBlocking.DepthBlock), kc).Clear();
        }
    }

    /// <summary>
    /// Rows [row0, row0+rows) and steps [p0, p0+kc) of op(A) = Aᵀ, A stored [k×m], into consecutive
    /// <see cref="ColumnPanelLayout"/> panels (the <paramref name="kernelRows"/> values of each step side by side,
    /// panels <c>kernelRows·DepthBlock</c> floats apart). Each step reads one contiguous stretch of a row of A.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackAColumns(float* a, int m, int row0, int rows, int p0, int kc, int kernelRows, float* block)
    {
        int panelFloats = kernelRows * GemmBlocking.DepthBlock;
        int fullPanels = rows / kernelRows, lastRows = rows - (fullPanels * kernelRows);
        float* source = a + ((long)p0 * m) + row0;
        for (int p = 0; p < kc; p++, source += m)
        {
            float* target = block + (p * kernelRows);
            for (int r = 0; r < fullPanels; r++, target += panelFloats)
            {
                Copy(source + (r * kernelRows), target, kernelRows);
            }

            if (lastRows > 0)
            {
                Copy(source + (fullPanels * kernelRows), target, lastRows);
                new Span<float>(target + lastRows, kernelRows - lastRows).Clear();
            }
        }
    }

    /// <summary>
    /// Steps [p0, p0+kc) and columns [col0, col0+nc) of op(B) into ⌈nc/nr⌉ panels of kc × <paramref name="kernelColumns"/>
    /// floats, one after the other, each step's columns side by side; B is stored [k×n], or [n×k] when transposed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(float* b, int n, int k, bool transposeB, int p0, int kc, int col0, int nc,
        int kernelColumns, float* block)
    {
        for (int j0 = 0; j0 < nc; j0 += kernelColumns, block += kc * kernelColumns)
        {
            int columns = Math.Min(kernelColumns, nc - j0);
            if (transposeB)
            {
                PackTransposedBPanel(b + ((long)(col0 + j0) * k) + p0, k, kc, columns, kernelColumns, block);
                continue;
            }

            float* source = b + ((long)p0 * n) + col0 + j0;
            float* panel = block;
            for (int p = 0; p < kc; p++, source += n, panel += kernelColumns)
            {
                Copy(source, panel, columns);
                for (int j = columns; j < kernelColumns; j++)
                {
                    panel[j] = 0f;
                }
            }
        }
    }

    /// <summary>B stored [n×k]: column j of op(B) is a contiguous row of B, scattered into the panel one step apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposedBPanel(float* source, int k, int kc, int columns, int kernelColumns, float* panel)
    {
        for (int j = 0; j < columns; j++, source += k)
        {
            float* target = panel + j;
            for (int p = 0; p < kc; p++, target += kernelColumns)
            {
                *target = source[p];
            }
        }

        if (columns < kernelColumns)
        {
            for (int p = 0; p < kc; p++)
            {
                new Span<float>(panel + (p * kernelColumns) + columns, kernelColumns - columns).Clear();
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
