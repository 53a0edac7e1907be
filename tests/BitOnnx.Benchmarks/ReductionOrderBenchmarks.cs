using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Benchmarks;

/// <summary>
/// What the width-independent reductions cost against the library calls they replaced, on the engine's row lengths:
/// a 113-double sum (cross-entropy), a 128-float norm and dot (final norm) and a 32-float dot (one attention head),
/// each over 3,831 rows as one epoch does them. Run: <c>dotnet run -c Release --project tests/BitOnnx.Benchmarks --
/// --filter *ReductionOrder*</c>, with and without DOTNET_EnableAVX512=0.
/// </summary>
[Config(typeof(ReductionOrderConfig))]
public unsafe class ReductionOrderBenchmarks
{
    private const int Rows = 3831;
    private double[] _logits = [];
    private float[] _residual = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _logits = Enumerable.Range(0, Rows * 113).Select(_ => random.NextDouble()).ToArray();
        _residual = Enumerable.Range(0, Rows * 128).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
    }

    [Benchmark(Baseline = true)]
    public double SumLibrary()
    {
        var total = 0.0;
        for (var r = 0; r < Rows; r++) total += TensorPrimitives.Sum<double>(_logits.AsSpan(r * 113, 113));
        return total;
    }

    [Benchmark]
    public double SumFixedLanes()
    {
        var total = 0.0;
        for (var r = 0; r < Rows; r++) total += SmallVectors.Sum(_logits.AsSpan(r * 113, 113));
        return total;
    }

    [Benchmark]
    public float NormLibrary()
    {
        var total = 0f;
        for (var r = 0; r < Rows; r++) total += TensorPrimitives.Norm(_residual.AsSpan(r * 128, 128));
        return total;
    }

    [Benchmark]
    public float NormFixedLanes()
    {
        var total = 0f;
        fixed (float* x = _residual)
            for (var r = 0; r < Rows; r++) total += MathF.Sqrt(SmallVectors.Dot(x + r * 128, x + r * 128, 128));
        return total;
    }

    [Benchmark]
    public float HeadDotWidthDependent()
    {
        var total = 0f;
        fixed (float* x = _residual)
            for (var r = 0; r < Rows * 4; r++)
            {
                float* a = x + r * 32, b = x + (Rows * 4 - 1 - r) * 32;
                var acc = Vector512.FusedMultiplyAdd(Vector512.Load(a), Vector512.Load(b), Vector512<float>.Zero);
                total += Vector512.Sum(Vector512.FusedMultiplyAdd(Vector512.Load(a + 16), Vector512.Load(b + 16), acc));
            }
        return total;
    }

    [Benchmark]
    public float HeadDotFixedLanes()
    {
        var total = 0f;
        fixed (float* x = _residual)
            for (var r = 0; r < Rows * 4; r++) total += SmallVectors.Dot(x + r * 32, x + (Rows * 4 - 1 - r) * 32, 32);
        return total;
    }
}

public sealed class ReductionOrderConfig : ManualConfig
{
    public ReductionOrderConfig() => AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(15).WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortInProcess"));
}
