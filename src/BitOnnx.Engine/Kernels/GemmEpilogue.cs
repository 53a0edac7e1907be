namespace BitOnnx.Engine.Kernels;

/// <summary>What a product does to each element of C once its sum over k is complete.</summary>
internal enum EpilogueKind
{
    None,

    /// <summary>c = max(c, 0), as <see cref="Relu.Forward"/>.</summary>
    Relu,

    /// <summary>c = mask &gt; 0 ? c : 0, as <see cref="Relu.Backward"/> with the mask in place of pre.</summary>
    KeepWherePositive,
}

/// <summary>
/// The epilogue of one product, applied by the driver to each row of tiles as soon as the kernel has finished it,
/// while it is still in L1: the ReLU and its backward mask then cost no pass of their own over a C larger than L2
/// (3831 × 512 floats in the MLP, 8 MB, read and written back once more per pass). It calls the same
/// <see cref="Relu"/> code a separate pass would, on every element exactly once, so the bits are the same.
/// The mask, when there is one, has C's layout and is found <see cref="MaskOffset"/> floats from C.
/// </summary>
internal readonly unsafe struct GemmEpilogue(EpilogueKind kind, long maskOffset)
{
    public EpilogueKind Kind { get; } = kind;

    public long MaskOffset { get; } = maskOffset;

    /// <summary>The epilogue for a C at <paramref name="c"/> and, for a masked one, its mask at <paramref name="mask"/>.</summary>
    public static GemmEpilogue For(EpilogueKind kind, float* c, float* mask) =>
        new(kind, kind == EpilogueKind.KeepWherePositive ? mask - c : 0);

    /// <summary>Applies the epilogue to <paramref name="rows"/> × <paramref name="columns"/> finished elements at <paramref name="c"/>.</summary>
    public void Apply(float* c, int rows, int columns, nint ldc)
    {
        if (Kind == EpilogueKind.None)
        {
            return;
        }

        for (int i = 0; i < rows; i++)
        {
            var row = new Span<float>(c + (i * ldc), columns);
            if (Kind == EpilogueKind.Relu)
            {
                Relu.Forward(row, row);
            }
            else if (Kind == EpilogueKind.KeepWherePositive)
            {
                Relu.Backward(new ReadOnlySpan<float>(c + (i * ldc) + MaskOffset, columns), row, row);
            }
        }
    }
}
