namespace BitOnnx.Engine.Kernels;

/// <summary>
/// The independent reference for <see cref="Gemm"/>: a plain scalar triple loop that sums each dot product
/// in float, in k order (separate multiply and add, no fused multiply-add, no blocking, no threads).
/// Slow by design; tests compare the fast kernels against it.
/// </summary>
public static class GemmReference
{
    /// <summary>
    /// C[m×n] = op(A)·op(B), or C += op(A)·op(B) when <paramref name="accumulate"/>; same contract as
    /// <see cref="Gemm.Multiply"/>. <paramref name="threads"/> is validated and otherwise ignored.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transposeA = false, bool transposeB = false, bool accumulate = false, int threads = 1)
    {
        GemmShape.Validate(a, b, c, m, n, k, transposeA, transposeB, accumulate, threads);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0f;
                for (int p = 0; p < k; p++)
                {
                    float aip = transposeA ? a[p * m + i] : a[i * k + p];
                    float bpj = transposeB ? b[j * k + p] : b[p * n + j];
                    sum += aip * bpj;
                }

                c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
            }
        }
    }
}
