using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitOnnx.Benchmarks;

/// <summary>
/// This core's fused multiply-add peak: 12 independent FMA chains (more than latency × ports, 4 × 2 on current x86
/// cores), so the loop is throughput-bound; no loads. 512-bit needs AVX-512, 256-bit needs AVX2 + FMA.
/// </summary>
public static class FmaPeak
{
    public const int Chains = 12;

    /// <summary>Floating-point operations of one <see cref="Run512"/> or <see cref="Run256"/> call: 2 per lane per FMA.</summary>
    public static double Flops(int lanes, int iterations) => 2.0 * lanes * Chains * iterations;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Run512(int iterations)
    {
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-7f);
        Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, x, y); a1 = Avx512F.FusedMultiplyAdd(a1, x, y);
            a2 = Avx512F.FusedMultiplyAdd(a2, x, y); a3 = Avx512F.FusedMultiplyAdd(a3, x, y);
            a4 = Avx512F.FusedMultiplyAdd(a4, x, y); a5 = Avx512F.FusedMultiplyAdd(a5, x, y);
            a6 = Avx512F.FusedMultiplyAdd(a6, x, y); a7 = Avx512F.FusedMultiplyAdd(a7, x, y);
            a8 = Avx512F.FusedMultiplyAdd(a8, x, y); a9 = Avx512F.FusedMultiplyAdd(a9, x, y);
            a10 = Avx512F.FusedMultiplyAdd(a10, x, y); a11 = Avx512F.FusedMultiplyAdd(a11, x, y);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Run256(int iterations)
    {
        var x = Vector256.Create(0.999999f);
        var y = Vector256.Create(1e-7f);
        Vector256<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, x, y); a1 = Fma.MultiplyAdd(a1, x, y);
            a2 = Fma.MultiplyAdd(a2, x, y); a3 = Fma.MultiplyAdd(a3, x, y);
            a4 = Fma.MultiplyAdd(a4, x, y); a5 = Fma.MultiplyAdd(a5, x, y);
            a6 = Fma.MultiplyAdd(a6, x, y); a7 = Fma.MultiplyAdd(a7, x, y);
            a8 = Fma.MultiplyAdd(a8, x, y); a9 = Fma.MultiplyAdd(a9, x, y);
            a10 = Fma.MultiplyAdd(a10, x, y); a11 = Fma.MultiplyAdd(a11, x, y);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    /// <summary>
    /// Single-core GFLOP/s at the widest width the process uses (512 unless AVX-512 is off): the best of a few
    /// 50 ms runs, since the machine is shared and the best run is the one least disturbed.
    /// </summary>
    public static (string Width, double Gflops) MeasureWidest()
    {
        var wide = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
        const int iterations = 2_000_000;
        var best = double.MaxValue;
        for (var run = 0; run < 7; run++)
        {
            var start = Stopwatch.GetTimestamp();
            var sink = wide ? Run512(iterations) : Run256(iterations);
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (float.IsNaN(sink)) throw new InvalidOperationException("unreachable: keeps the loop alive");
            best = Math.Min(best, seconds);
        }
        return (wide ? "512-bit" : "256-bit", Flops(wide ? 16 : 8, iterations) / best / 1e9);
    }
}
