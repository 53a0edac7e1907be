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

    /// <summary>
    /// The activations MatMulNBits with accuracy_level 4 multiplies on MLAS's int8 kernels (SQNBIT_CompInt8,
    /// QuantizeARow_CompInt8 in sqnbitgemm_kernel_avx2.cpp / _avx512.cpp): each row of x [M, K] cut into blocks of
    /// <paramref name="blockSize"/> along K (the last one padded with zeros); a block's values multiplied by the float
    /// 127 / max|x| (0 for a block of zeros) and rounded half to even into int8, its scale max|x| / 127 kept. With one
    /// block per row this is BitNet b1.58's per-token absmax quantization to 8 bits.
    /// </summary>
    public static (sbyte[] Q, float[] Scales) QuantizeBlocksInt8(float[] x, int m, int k, int blockSize)
    {
        int blocks = (k + blockSize - 1) / blockSize;
        var q = new sbyte[m * k];
        var scales = new float[m * blocks];
        for (int row = 0; row < m; row++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int start = b * blockSize, end = Math.Min(k, start + blockSize);
                float max = 0;
                for (int t = start; t < end; t++) max = Math.Max(max, Math.Abs(x[row * k + t]));
                float inverse = max != 0 ? 127f / max : 0f;
                scales[row * blocks + b] = max / 127f;
                for (int t = start; t < end; t++) q[row * k + t] = (sbyte)MathF.Round(x[row * k + t] * inverse, MidpointRounding.ToEven);
            }
        }

        return (q, scales);
    }

    /// <summary>
    /// y[m, n] = Σ_b scaleA[m, b]·scale[n, b]·Σ_(k in b) qA[m, k]·(q[n, k] − zp[n, b]): the int8 activations of
    /// <see cref="QuantizeBlocksInt8"/> times the 2-bit weights, integer dot products per block, in double.
    /// </summary>
    public static double[] BlockInt8MatMulNBits(float[] x, int[,] q, int[,] zeroPoints, float[,] scales, int m, int k, int n, int blockSize)
    {
        var (qa, aScales) = QuantizeBlocksInt8(x, m, k, blockSize);
        int blocks = (k + blockSize - 1) / blockSize;
        var y = new double[m * n];
        for (int row = 0; row < m; row++)
        {
            for (int col = 0; col < n; col++)
            {
                double sum = 0;
                for (int b = 0; b < blocks; b++)
                {
                    long dot = 0;
                    for (int t = b * blockSize; t < Math.Min(k, (b + 1) * blockSize); t++) dot += qa[row * k + t] * (q[col, t] - zeroPoints[col, b]);
                    sum += (double)aScales[row * blocks + b] * scales[col, b] * dot;
                }

                y[row * n + col] = sum;
            }
        }

        return y;
    }
}
