using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// AVX2 + FMA micro-kernel, a 6×16 tile of C per call, for machines without AVX-512.
/// Why 6×16: AVX2 has 16 vector registers. 6 rows × 2 vectors of 8 floats = 12 accumulators, plus 2 B vectors
/// and 1 broadcast = 15 registers; 12 independent FMA chains cover the FMA latency on two ports, and each k step
/// does 12 FMAs for 8 loads and one prefetch. 16 columns divide 128 and 512.
/// </summary>
internal readonly unsafe struct Avx2MicroKernel : IGemmMicroKernel
{
    public static int Rows => 6;

    public static int Columns => 16;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(int kc, float* a, nint rowStride, nint stepStride, float* b, float* c, nint ldc, bool loadC,
        float* prefetch)
    {
        // Two row pointers and two stride multiples address all six rows as [base + index·scale].
        nint rs = rowStride, rs2 = 2 * rowStride;
        float* a0 = a, a3 = a + (3 * rowStride);
        Vector256<float> c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b;
        if (loadC)
        {
            c0a = Vector256.Load(c + 0 * ldc); c0b = Vector256.Load(c + 0 * ldc + 8);
            c1a = Vector256.Load(c + 1 * ldc); c1b = Vector256.Load(c + 1 * ldc + 8);
            c2a = Vector256.Load(c + 2 * ldc); c2b = Vector256.Load(c + 2 * ldc + 8);
            c3a = Vector256.Load(c + 3 * ldc); c3b = Vector256.Load(c + 3 * ldc + 8);
            c4a = Vector256.Load(c + 4 * ldc); c4b = Vector256.Load(c + 4 * ldc + 8);
            c5a = Vector256.Load(c + 5 * ldc); c5b = Vector256.Load(c + 5 * ldc + 8);
        }
        else
        {
            c0a = c0b = c1a = c1b = c2a = c2b = c3a = c3b = c4a = c4b = c5a = c5b = Vector256<float>.Zero;
        }

        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8), x;
            x = Vector256.Create(a0[0]); c0a = Fma.MultiplyAdd(x, b0, c0a); c0b = Fma.MultiplyAdd(x, b1, c0b);
            x = Vector256.Create(a0[rs]); c1a = Fma.MultiplyAdd(x, b0, c1a); c1b = Fma.MultiplyAdd(x, b1, c1b);
            x = Vector256.Create(a0[rs2]); c2a = Fma.MultiplyAdd(x, b0, c2a); c2b = Fma.MultiplyAdd(x, b1, c2b);
            x = Vector256.Create(a3[0]); c3a = Fma.MultiplyAdd(x, b0, c3a); c3b = Fma.MultiplyAdd(x, b1, c3b);
            x = Vector256.Create(a3[rs]); c4a = Fma.MultiplyAdd(x, b0, c4a); c4b = Fma.MultiplyAdd(x, b1, c4b);
            x = Vector256.Create(a3[rs2]); c5a = Fma.MultiplyAdd(x, b0, c5a); c5b = Fma.MultiplyAdd(x, b1, c5b);
            a0 += stepStride;
            a3 += stepStride;
            Sse.Prefetch1(prefetch);
            prefetch += PrefetchStream.FloatsPerStep;
            b += 16;
        }

        c0a.Store(c + 0 * ldc); c0b.Store(c + 0 * ldc + 8);
        c1a.Store(c + 1 * ldc); c1b.Store(c + 1 * ldc + 8);
        c2a.Store(c + 2 * ldc); c2b.Store(c + 2 * ldc + 8);
        c3a.Store(c + 3 * ldc); c3b.Store(c + 3 * ldc + 8);
        c4a.Store(c + 4 * ldc); c4b.Store(c + 4 * ldc + 8);
        c5a.Store(c + 5 * ldc); c5b.Store(c + 5 * ldc + 8);
    }
}
