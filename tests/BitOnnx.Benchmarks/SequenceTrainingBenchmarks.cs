using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Sequence;
using BitOnnx.Torch;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Benchmarks;

/// <summary>
/// Twenty training steps of 64 fresh 5-digit addition questions (the add5-fp recipe's model: 2 layers × 4 heads,
/// d_model 64, d_mlp 256), one thread each: the engine's <see cref="EngineSequenceTrainer"/> against TorchSharp's
/// <see cref="SequenceTrainer"/>, each started fresh before every iteration so that both take the same steps.
/// Run: dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*SequenceTrainingBenchmarks*'
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
[MedianColumn, MinColumn, MaxColumn]
public class SequenceTrainingBenchmarks
{
    private const int Steps = 20;
    private static readonly ArithmeticTask Add5 = new(5, ArithmeticMix.Addition);
    private static readonly SequenceModelConfig Config =
        SequenceModelConfig.ForTask(Add5) with { DModel = 64, NHeads = 4, DHead = 16, DMlp = 256, NLayers = 2 };
    private static readonly SequenceTrainingOptions Options = new() { Steps = Steps, LearningRate = 3e-3, Seed = 1, MetricsEvery = 1000 };
    private EngineSequenceTrainer _engine = null!;
    private SequenceTrainer _torch = null!;

    [GlobalSetup]
    public void Setup() => TorchRuntime.SetThreads(1);

    [IterationSetup(Target = nameof(Engine))]
    public void StartEngine() => _engine = EngineSequenceTrainer.Start(Config, Add5, Options, threads: 1);

    [IterationSetup(Target = nameof(TorchSharp))]
    public void StartTorch() => _torch = SequenceTrainer.Start(Config, Add5, Options);

    [IterationCleanup(Target = nameof(TorchSharp))]
    public void StopTorch() => _torch.Dispose();

    [Benchmark(Baseline = true)]
    public long Engine()
    {
        _engine.Run();
        return _engine.Step;
    }

    [Benchmark]
    public long TorchSharp()
    {
        _torch.Run();
        return _torch.Step;
    }
}
