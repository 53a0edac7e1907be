namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Where the A micro-panels of one block of op(A) are: panel r starts at First + r·PanelStride, and its a(i, p) is
/// RowStride·i + StepStride·p floats further on (what <see cref="IGemmMicroKernel.Multiply"/> reads).
/// </summary>
internal readonly unsafe struct APanels(float* first, nint panelStride, nint rowStride, nint stepStride)
{
    public float* First { get; } = first;

    public nint PanelStride { get; } = panelStride;

    public nint RowStride { get; } = rowStride;

    public nint StepStride { get; } = stepStride;

    /// <summary>
    /// Packed rows of a row-major A: each row <see cref="GemmBlocking.DepthBlock"/> floats from the next, so packing
    /// is a plain copy.
    /// </summary>
    public static APanels PackedRows(float* block, int kernelRows) =>
        new(block, GemmBlocking.APanelFloats(kernelRows), GemmBlocking.DepthBlock, 1);

    /// <summary>
    /// Packed columns of a transposed A (stored [k×m]): the kernel's rows of one step side by side, so packing copies
    /// Rows contiguous floats per step.
    /// </summary>
    public static APanels PackedColumns(float* block, int kernelRows) =>
        new(block, GemmBlocking.APanelFloats(kernelRows), 1, kernelRows);

    /// <summary>A row-major A[m×k] read where it is: element (i, p) of the block at <paramref name="origin"/>.</summary>
    public static APanels InPlace(float* origin, int k, int kernelRows) => new(origin, (nint)kernelRows * k, k, 1);

    public float* Panel(int index) => First + (index * PanelStride);
}
