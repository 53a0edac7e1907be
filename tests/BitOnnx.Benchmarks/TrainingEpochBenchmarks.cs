using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

namespace BitOnnx.Benchmarks;

/// <summary>
/// One full-batch training epoch at P = 113 with the default sizes (3,831 train pairs): quantize, forward, backward,
/// STE and AdamW. <see cref="PyTorchEpochBenchmarks"/> times the same epoch in PyTorch 1.13 + OpenBLAS beside it.
/// </summary>
[Config(typeof(TrainingEpochBenchmarkConfig))]
public class TrainingEpochBenchmarks
{
    private TrainingStep _step = null!;

    [Params("li2024-none", "li2024-binary", "li2024-ternary", "nanda2023-none")]
    public string Model { get; set; } = "li2024-none";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _step = WarmStep(Model, Threads);

    /// <summary>A step for a model such as "li2024-binary" (seed 0, the default split), after one untimed epoch.</summary>
    public static TrainingStep WarmStep(string model, int threads)
    {
        var parts = model.Split('-');
        var config = TransformerConfig.FromPreset(parts[0]) with { Quantization = Enum.Parse<WeightQuantization>(parts[1], true) };
        var parameters = ParameterInitializer.Initialize(config, seed: 0);
        var data = ModularAdditionData.Split(config.P, 0.3, seed: 0);
        var step = new TrainingStep(config, parameters, new AdamW(new AdamWSettings(), parameters), data, threads);
        step.Run();
        return step;
    }

    [Benchmark]
    public double Epoch() => _step.Run();

    /// <summary>
    /// Floating-point operations of one epoch's matrix products (2·m·n·k each; backward is twice forward), for GFLOP/s:
    /// 3,831 train rows through W_O, W_in, W_out and W_U at the last position, and block 0's Q/K/V tables.
    /// </summary>
    public static double FlopsPerEpoch(string model)
    {
        var c = TransformerConfig.FromPreset(model.Split('-')[0]);
        double rows = (int)(0.3 * c.P * c.P), d = c.DModel, m = c.DMlp, w = c.AttentionWidth, o = c.DVocabOut, table = c.NCtx * c.DVocab;
        var forward = 2 * rows * (w * d + d * m + m * d + d * o) + 2 * table * d * w * 3;
        return 3 * forward;
    }
}

/// <summary>A short job (the machine is shared) with the median and the GFLOP/s it implies.</summary>
public sealed class TrainingEpochBenchmarkConfig : ManualConfig
{
    public TrainingEpochBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(5).WithIterationCount(15).WithId("Short"));
        AddColumn(StatisticColumn.Median, GflopsColumn.Create(c => TrainingEpochBenchmarks.FlopsPerEpoch((string)c.Parameters["Model"]), "matrix-product flops per epoch"));
    }
}
