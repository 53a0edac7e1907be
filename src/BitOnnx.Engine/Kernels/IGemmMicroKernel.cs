namespace BitOnnx.Engine.Kernels;

/// <summary>
/// A register-blocked micro-kernel: it updates one Rows×Columns tile of C from a packed A micro-panel and a packed
/// B micro-panel. Every kernel computes each element of the tile as one fused multiply-add chain in k order,
/// starting from C's value (<c>loadC</c>) or from zero, so a result does not depend on the kernel, the blocking
/// or the thread that computed it.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of the tile (MR): the A values broadcast per k step.</summary>
    static abstract int Rows { get; }

    /// <summary>Columns of the tile (NR): the B values loaded as vectors per k step.</summary>
    static abstract int Columns { get; }

    /// <summary>Whether this machine runs the kernel natively.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>
    /// tile[i, j] = (loadC ? tile[i, j] : 0) + Σ_p a(i, p)·b[p·Columns + j], fused, for p = 0..kc-1 in order;
    /// the tile lives at <paramref name="c"/> with row stride <paramref name="ldc"/>, and a(i, p) is read through
    /// <typeparamref name="TLayout"/>.
    /// </summary>
    static abstract void Multiply<TLayout>(int kc, float* a, float* b, float* c, nint ldc, bool loadC)
        where TLayout : struct, IAPanelLayout;
}

/// <summary>How a packed A micro-panel is laid out; the kernel reads a(i, p) at a[i·RowStride + p·StepStride].</summary>
internal interface IAPanelLayout
{
    /// <summary>Floats between rows i and i+1 of the panel.</summary>
    static abstract nint RowStride(int kernelRows);

    /// <summary>Floats between steps p and p+1 of the panel.</summary>
    static abstract nint StepStride(int kernelRows);
}

/// <summary>
/// Rows of op(A) kept as rows, each <see cref="GemmBlocking.DepthBlock"/> floats apart: packing a row-major A[m×k]
/// is then a plain copy, and the constant row stride becomes an immediate displacement in the kernel's loads.
/// </summary>
internal readonly struct RowPanelLayout : IAPanelLayout
{
    public static nint RowStride(int kernelRows) => GemmBlocking.DepthBlock;

    public static nint StepStride(int kernelRows) => 1;
}

/// <summary>
/// The Rows values of one k step stored together: packing a transposed A (stored [k×m]) is then a copy of Rows
/// contiguous floats per step.
/// </summary>
internal readonly struct ColumnPanelLayout : IAPanelLayout
{
    public static nint RowStride(int kernelRows) => 1;

    public static nint StepStride(int kernelRows) => kernelRows;
}
