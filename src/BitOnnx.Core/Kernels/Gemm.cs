namespace BitOnnx.Core.Kernels;

public static class Gemm
{
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transposeA = false, bool transposeB = false, bool accumulate = false, int threads = 1) =>
        GemmReference.Multiply(a, b, c, m, n, k, transposeA, transposeB, accumulate, threads);
}
