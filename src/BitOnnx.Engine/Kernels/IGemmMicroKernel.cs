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
    /// the tile lives at <paramref name="c"/> with row stride <paramref name="ldc"/>, and a(i, p) is
    /// a[i·rowStride + p·stepStride]: a packed panel or, for a row-major A read in place, rowStride = k and stepStride = 1.
    /// Each step also prefetches into L2 the line at <paramref name="prefetch"/>, which moves
    /// <see cref="PrefetchStream.FloatsPerStep"/> floats per step (<see cref="PrefetchStream"/> says what it points at);
    /// kernels without a prefetch instruction ignore it.
    /// </summary>
    static abstract void Multiply(int kc, float* a, nint rowStride, nint stepStride, float* b, float* c, nint ldc,
        bool loadC, float* prefetch);
}
