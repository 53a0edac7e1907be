namespace BitOnnx.Analysis.Kernels;

/// <summary>The plain triple loop C = A·B (row-major), the reference <see cref="MatMul"/> is tested against.</summary>
internal static class MatMulReference
{
    /// <summary>Multiplies A [m, k] by B [k, n] into C [m, n].</summary>
    public static void Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int kk = 0; kk < k; kk++) s += a[i * k + kk] * b[kk * n + j];
                c[i * n + j] = s;
            }
        }
    }
}
