using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Plain micro-kernel, a 4×4 tile of C per call, for machines with neither AVX-512 nor AVX2.
/// Why 4×4: 16 scalar accumulators fit the 16 floating-point registers of x64 and leave room on Arm64, and 8 loads
/// feed 16 multiply-adds per k step. It fuses each multiply-add (so its results match the vector kernels bit for
/// bit) where the hardware has FMA; elsewhere a software fused multiply-add would be far too slow, so it rounds
/// the product and the sum separately.
/// </summary>
internal readonly unsafe struct ScalarMicroKernel : IGemmMicroKernel
{
    public static int Rows => 4;

    public static int Columns => 4;

    public static bool IsSupported => true;

    /// <summary>Whether <see cref="MultiplyAdd"/> is a single rounding (hardware FMA).</summary>
    public static bool IsFused => Fma.IsSupported || AdvSimd.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MultiplyAdd(float x, float y, float sum) =>
        IsFused ? MathF.FusedMultiplyAdd(x, y, sum) : (x * y) + sum;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(int kc, float* a, nint rowStride, nint stepStride, float* b, float* c, nint ldc, bool loadC,
        float* prefetch)
    {
        nint rs = rowStride;
        float* c0 = c, c1 = c + ldc, c2 = c + (2 * ldc), c3 = c + (3 * ldc);
        float s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        float s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        if (loadC)
        {
            s00 = c0[0]; s01 = c0[1]; s02 = c0[2]; s03 = c0[3];
            s10 = c1[0]; s11 = c1[1]; s12 = c1[2]; s13 = c1[3];
            s20 = c2[0]; s21 = c2[1]; s22 = c2[2]; s23 = c2[3];
            s30 = c3[0]; s31 = c3[1]; s32 = c3[2]; s33 = c3[3];
        }

        for (int p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float x = a[0];
            s00 = MultiplyAdd(x, b0, s00); s01 = MultiplyAdd(x, b1, s01); s02 = MultiplyAdd(x, b2, s02); s03 = MultiplyAdd(x, b3, s03);
            x = a[rs];
            s10 = MultiplyAdd(x, b0, s10); s11 = MultiplyAdd(x, b1, s11); s12 = MultiplyAdd(x, b2, s12); s13 = MultiplyAdd(x, b3, s13);
            x = a[2 * rs];
            s20 = MultiplyAdd(x, b0, s20); s21 = MultiplyAdd(x, b1, s21); s22 = MultiplyAdd(x, b2, s22); s23 = MultiplyAdd(x, b3, s23);
            x = a[3 * rs];
            s30 = MultiplyAdd(x, b0, s30); s31 = MultiplyAdd(x, b1, s31); s32 = MultiplyAdd(x, b2, s32); s33 = MultiplyAdd(x, b3, s33);
            a += stepStride;
            b += 4;
        }

        c0[0] = s00; c0[1] = s01; c0[2] = s02; c0[3] = s03;
        c1[0] = s10; c1[1] = s11; c1[2] = s12; c1[3] = s13;
        c2[0] = s20; c2[1] = s21; c2[2] = s22; c2[3] = s23;
        c3[0] = s30; c3[1] = s31; c3[2] = s32; c3[3] = s33;
    }
}
