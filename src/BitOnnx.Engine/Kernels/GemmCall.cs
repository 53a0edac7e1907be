namespace BitOnnx.Engine.Kernels;

/// <summary>
/// One product as <see cref="Gemm.Multiply"/> takes it, held as arrays so that another thread can run it
/// (<see cref="Gemm.MultiplyTogether"/>). A mask is needed only with <see cref="EpilogueKind.KeepWherePositive"/>.
/// </summary>
internal sealed record GemmCall(float[] A, float[] B, float[] C, int M, int N, int K)
{
    public bool TransposeA { get; init; }

    public bool TransposeB { get; init; }

    public bool Accumulate { get; init; }

    public EpilogueKind Epilogue { get; init; }

    public float[]? Mask { get; init; }

    public GemmShape Validate(int threads)
    {
        GemmShape shape = GemmShape.Validate(A, B, C, M, N, K, TransposeA, TransposeB, Accumulate, threads);
        if (Epilogue == EpilogueKind.KeepWherePositive)
        {
            GemmShape.ValidateMask(Mask ?? throw new ArgumentException("A masked product needs its mask.", nameof(Mask)), C, M, N);
        }

        return shape;
    }

    /// <summary>Throws unless each product's output is apart from everything the other one touches.</summary>
    public void RequireIndependentOf(GemmCall other)
    {
        if (Writes(other) || other.Writes(this))
        {
            throw new ArgumentException("Products run together must be independent: one writes what the other reads or writes.");
        }
    }

    /// <summary>Runs the product, validated into <paramref name="shape"/>, outside the epoch profile.</summary>
    public void Run(in GemmShape shape, int threads) => Gemm.MultiplyUntimed(A, B, C, shape, threads, Epilogue, Mask);

    private bool Writes(GemmCall other)
    {
        ReadOnlySpan<float> output = C.AsSpan(0, M * N);
        return output.Overlaps(other.A) || output.Overlaps(other.B) || output.Overlaps(other.C)
            || (other.Mask is not null && output.Overlaps(other.Mask));
    }
}
