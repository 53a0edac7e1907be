using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.Torch.Training;

namespace BitOnnx.Benchmarks;

/// <summary>
/// One full-batch training epoch at P = 113 (3,830 train pairs), 2 threads, in each backend: the engine's TrainingStep
/// and the TorchSharp step (libtorch 2.10 CPU). PyTorch 1.13 + OpenBLAS takes 0.23-0.27 s per epoch on an AVX2-only EPYC
/// at 2 threads; the TorchSharp target is at most 0.23 s / 2.5 = 92 ms. Run:
/// <c>dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*BackendEpochBenchmarks*'</c>.
/// </summary>
[Config(typeof(BackendEpochBenchmarkConfig))]
public class BackendEpochBenchmarks
{
    private ITrainingStep _step = null!;

    [Params("engine", "torchsharp")]
    public string Backend { get; set; } = "engine";

    [Params("li2024-none", "li2024-binary", "li2024-ternary", "nanda2023-none")]
    public string Model { get; set; } = "li2024-none";

    public const int Threads = 2;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Model.Split('-');
        var config = TransformerConfig.FromPreset(parts[0]) with { Quantization = Enum.Parse<WeightQuantization>(parts[1], true) };
        var options = new TrainingOptions { Threads = Threads };
        var data = ModularAdditionData.Split(config.P, options.TrainFraction, seed: 0);
        var parameters = ParameterInitializer.Initialize(config, seed: 0);
        var setup = new TrainingSetup(config, options, data, parameters, null);
        ITrainingBackend backend = Backend == "engine" ? EngineBackend.Instance : TorchSharpBackend.Instance;
        _step = backend.Create(setup);
        _step.Run();
    }

    [GlobalCleanup]
    public void Cleanup() => _step.Dispose();

    [Benchmark]
    public double Epoch() => _step.Run();
}

/// <summary>In process (libtorch is loaded once), a short job on a shared machine, with the median.</summary>
public sealed class BackendEpochBenchmarkConfig : ManualConfig
{
    public BackendEpochBenchmarkConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(5).WithIterationCount(15).WithId("InProcess"));
        AddColumn(StatisticColumn.Median);
    }
}
