using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>
/// Random operands for one product and the error bound a correct float implementation must meet.
/// Bound: each result is a float dot product of length k plus, when accumulating, the old C. Any summation order,
/// fused or not, is within γ(k+1)·(|c0| + Σ_p |a_ip||b_pj|) of the exact value, γ(n) = n·u / (1 − n·u),
/// u = 2⁻²⁴ (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §3.1). Two such results (fast and
/// reference) differ by at most twice that.
/// </summary>
internal sealed class GemmProblem
{
    public GemmProblem(int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, int seed)
    {
        (M, N, K, TransposeA, TransposeB, Accumulate) = (m, n, k, transposeA, transposeB, accumulate);
        var random = new Random(seed);
        A = Uniform(random, m * k);
        B = Uniform(random, k * n);
        InitialC = Uniform(random, m * n);
    }

    public int M { get; }

    public int N { get; }

    public int K { get; }

    public bool TransposeA { get; }

    public bool TransposeB { get; }

    public bool Accumulate { get; }

    public float[] A { get; }

    public float[] B { get; }

    public float[] InitialC { get; }

    public override string ToString() =>
        $"m={M} n={N} k={K} transposeA={TransposeA} transposeB={TransposeB} accumulate={Accumulate}";

    /// <summary>Runs <paramref name="multiply"/> on a fresh copy of the initial C and returns C.</summary>
    public float[] Run(GemmFunction multiply, int threads = 1)
    {
        float[] c = (float[])InitialC.Clone();
        multiply(A, B, c, M, N, K, TransposeA, TransposeB, Accumulate, threads);
        return c;
    }

    public float[] RunReference() => Run(GemmReference.Multiply);

    /// <summary>The largest allowed |fast − reference| for element (i, j).</summary>
    public double Tolerance(int i, int j)
    {
        const double u = 1.0 / (1 << 24);
        double magnitude = Accumulate ? Math.Abs(InitialC[(i * N) + j]) : 0;
        for (int p = 0; p < K; p++)
        {
            float aip = TransposeA ? A[(p * M) + i] : A[(i * K) + p];
            float bpj = TransposeB ? B[(j * K) + p] : B[(p * N) + j];
            magnitude += Math.Abs((double)aip * bpj);
        }

        double gamma = (K + 1) * u / (1 - ((K + 1) * u));
        return 2 * gamma * magnitude;
    }

    /// <summary>Asserts every element of <paramref name="actual"/> is within the bound of the reference result.</summary>
    public void AssertMatchesReference(float[] actual, string what)
    {
        float[] expected = RunReference();
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double difference = Math.Abs((double)actual[(i * N) + j] - expected[(i * N) + j]);
                double tolerance = Tolerance(i, j);
                if (!(difference <= tolerance))
                {
                    Assert.Fail($"{what}, {this}: C[{i},{j}] = {actual[(i * N) + j]:R}, reference {expected[(i * N) + j]:R}, " +
                        $"difference {difference:E3} exceeds bound {tolerance:E3}.");
                }
            }
        }
    }

    public static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected the identical {expected[i]:R}.");
            }
        }
    }

    private static float[] Uniform(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}

/// <summary>The shared signature of <see cref="Gemm.Multiply"/> and <see cref="GemmReference.Multiply"/>.</summary>
internal delegate void GemmFunction(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
    int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, int threads);
