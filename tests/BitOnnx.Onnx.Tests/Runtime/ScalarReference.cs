namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>Plain loops that define what each operator must compute (ONNX operator spec), in double where it helps.</summary>
internal static class ScalarReference
{
    /// <summary>y[m, n] = Σ_k x[m, k]·w[k, n] + b[n], in double.</summary>
    public static double[] MatMulAdd(float[] x, float[] w, float[]? b, int m, int k, int n)
    {
        var y = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = b is null ? 0 : b[j];
                for (int t = 0; t < k; t++) sum += (double)x[i * k + t] * w[t * n + j];
                y[i * n + j] = sum;
            }
        }

        return y;
    }

    /// <summary>Σ_k |x[m, k]·w[k, n]| per output: the scale of float rounding error in a dot product.</summary>
    public static double[] AbsMatMul(float[] x, float[] w, int m, int k, int n)
    {
        var y = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int t = 0; t < k; t++) sum += Math.Abs((double)x[i * k + t] * w[t * n + j]);
                y[i * n + j] = sum;
            }
        }

        return y;
    }

    /// <summary>DequantizeLinear: (q − zero_point)·scale, computed in float as the spec states.</summary>
    public static float[] Dequantize(sbyte[] q, float scale, sbyte zeroPoint) =>
        q.Select(v => (v - zeroPoint) * scale).ToArray();

    /// <summary>
    /// DynamicQuantizeLinear (ONNX spec): range widened to include 0, scale = (max − min)/255,
    /// zero_point = saturate(round(−min/scale)), q = saturate(round(x/scale) + zero_point); rounding half to even.
    /// </summary>
    public static (byte[] Q, float Scale, byte ZeroPoint) DynamicQuantize(float[] x)
    {
        float min = Math.Min(0f, x.Min());
        float max = Math.Max(0f, x.Max());
        float scale = max == min ? 1f : (max - min) / 255f;
        float zeroPointFloat = Math.Clamp(0f - min / scale, 0f, 255f);
        byte zeroPoint = (byte)MathF.Round(zeroPointFloat, MidpointRounding.ToEven);
        var q = x.Select(v => (byte)Math.Clamp(MathF.Round(v / scale, MidpointRounding.ToEven) + zeroPoint, 0f, 255f)).ToArray();
        return (q, scale, zeroPoint);
    }

    /// <summary>MatMulInteger: y[m, n] = Σ_k (a[m, k] − a_zp)·(b[k, n] − b_zp), exact in int32.</summary>
    public static int[] MatMulInteger(byte[] a, byte aZeroPoint, sbyte[] b, sbyte bZeroPoint, int m, int k, int n)
    {
        var y = new int[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                int sum = 0;
                for (int t = 0; t < k; t++) sum += (a[i * k + t] - aZeroPoint) * (b[t * n + j] - bZeroPoint);
                y[i * n + j] = sum;
            }
        }

        return y;
    }

    /// <summary>The dense weight [K, N] of blockwise-quantized columns: w[k, n] = (q[n, k] − zp[n, k/bs])·scale[n, k/bs].</summary>
    public static float[] DequantizeBlockwise(int[,] q, int[,] zeroPoints, float[,] scales, int k, int n, int blockSize)
    {
        var w = new float[k * n];
        for (int col = 0; col < n; col++)
        {
            for (int row = 0; row < k; row++)
            {
                int block = row / blockSize;
                w[row * n + col] = (q[col, row] - zeroPoints[col, block]) * scales[col, block];
            }
        }

        return w;
    }
}
