using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace BitOnnx.Benchmarks.Runtime;

/// <summary>
/// A short in-process job (3 warm-ups, 5 measured iterations): the machine is shared, so runs stay brief, and in-process
/// keeps the native library that the build placed beside this assembly.
/// </summary>
public sealed class ShortInProcessConfig : ManualConfig
{
    public ShortInProcessConfig()
    {
        AddJob(Job.ShortRun
            .WithWarmupCount(3)
            .WithIterationCount(5)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId("ShortInProcess"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
    }
}
