using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

namespace BitOnnx.Benchmarks;

/// <summary>
/// What BIMT adds to training at P = 113 with li2024's sizes (docs/bimt.md): the locality cost's gradient, once per
/// epoch, and a round of swaps (30 candidates per layer, each against every other place), once per 200 epochs. Every
/// round starts from no swap on seed 0's initial weights, so each times a full round's search and its swaps.
/// </summary>
[Config(typeof(BimtBenchmarkConfig))]
public class BimtBenchmarks
{
    private static readonly TransformerConfig Config = TransformerConfig.Li2024 with { Quantization = WeightQuantization.Ternary };
    private ParameterSet _weights = null!;
    private ParameterSet _gradient = null!;
    private BimtTraining _bimt = null!;

    [GlobalSetup]
    public void Setup()
    {
        _weights = ParameterInitializer.Initialize(Config, seed: 0);
        _gradient = _weights.ZerosLike();
        _bimt = new BimtTraining(Config, new BimtSettings(0.1), 10_000, null);
        _bimt.AddGradient(_weights, _gradient, 0);
    }

    [IterationSetup(Target = nameof(SwapRound))]
    public void FreshLayout() => _bimt = new BimtTraining(Config, new BimtSettings(0.1), 10_000, null);

    [Benchmark]
    public void Gradient() => _bimt.AddGradient(_weights, _gradient, 0);

    [Benchmark]
    public int SwapRound() => _bimt.Relocate(_weights, 200).Count;
}

/// <summary>A short job (the machine is shared), with the median.</summary>
public sealed class BimtBenchmarkConfig : ManualConfig
{
    public BimtBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(15).WithId("Short"));
        AddColumn(StatisticColumn.Median);
    }
}
