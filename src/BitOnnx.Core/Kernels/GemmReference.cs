namespace BitOnnx.Core.Kernels;

public static class GemmReference
{
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transposeA = false, bool transposeB = false, bool accumulate = false, int threads = 1)
    {
        for (var i = 0; i < m; i++)
        for (var j = 0; j < n; j++)
        {
            var sum = accumulate ? c[i * n + j] : 0f;
            for (var p = 0; p < k; p++)
                sum += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
            c[i * n + j] = sum;
        }
    }
}
