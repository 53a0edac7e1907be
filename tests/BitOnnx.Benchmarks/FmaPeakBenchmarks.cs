using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace BitOnnx.Benchmarks;

/// <summary>
/// The single-core FMA peak per width, the ceiling GEMM efficiency is reported against. Run:
/// <c>dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter *FmaPeak*</c> (with DOTNET_EnableAVX512=0
/// the 512-bit case reports NA).
/// </summary>
[Config(typeof(FmaPeakConfig))]
public class FmaPeakBenchmarks
{
    public const int Iterations = 1_000_000;

    [Benchmark]
    public float Fma512() => Vector512.IsHardwareAccelerated ? FmaPeak.Run512(Iterations) : throw new PlatformNotSupportedException("AVX-512 is off");

    [Benchmark]
    public float Fma256() => FmaPeak.Run256(Iterations);
}

public sealed class FmaPeakConfig : ManualConfig
{
    public FmaPeakConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(5).WithIterationCount(15).WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortInProcess"));
        AddColumn(StatisticColumn.Median, GflopsColumn.Create(
            c => FmaPeak.Flops(c.Descriptor.WorkloadMethod.Name == nameof(FmaPeakBenchmarks.Fma512) ? 16 : 8, FmaPeakBenchmarks.Iterations),
            "2 · lanes · 12 chains · iterations"));
    }
}
