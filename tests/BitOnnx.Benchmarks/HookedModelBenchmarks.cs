using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;

namespace BitOnnx.Benchmarks;

/// <summary>
/// The engine's hooked model at P = 113 with li2024's shapes (d_model 128, 4 heads, d_mlp 512, binary, 1 layer), all
/// 12,769 pairs: every hook at every position (38,307 positions, about 330 MB of activations); the same with a head's z
/// mean-ablated and one pattern entry written (the pattern write makes z be mixed again); and forward plus the
/// backward pass to every hook (what one attribution-patching sweep costs).
/// </summary>
[Config(typeof(HookedModelBenchmarkConfig))]
public class HookedModelBenchmarks
{
    private HookedModel _model = null!;
    private int[] _tokens = null!;
    private IReadOnlyList<HookWrite> _writes = null!;
    private LogitMetric _metric = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var config = TransformerConfig.Li2024 with { Quantization = WeightQuantization.Binary };
        var rows = ModularAdditionData.AllRows(config.P);
        _tokens = ModularAdditionData.Tokens(config.P, rows);
        _model = new HookedModel(config, ParameterInitializer.Initialize(config, seed: 0), Threads);
        _metric = LogitMetric.CrossEntropy(ModularAdditionData.Targets(config.P, rows), config.DVocabOut);
        var uniform = new float[config.NHeads * config.NCtx * config.NCtx];
        Array.Fill(uniform, 1f / config.NCtx);
        _writes = _model.Resolve([
            Intervention.Mean(HookNames.Z(0), new HookIndex(Head: 1)),
            Intervention.Patch(HookNames.Pattern(0), uniform, new HookIndex(Position: 2, Head: 0)),
        ], _model.Run(_tokens));
    }

    [Benchmark]
    public float Forward() => _model.Run(_tokens).Logits[0];

    [Benchmark]
    public float ForwardWithWrites() => _model.Run(_tokens, _writes).Logits[0];

    [Benchmark]
    public float ForwardBackward() => _model.Backward(_model.Run(_tokens), _metric)[HookNames.Embed].Data[0];
}

/// <summary>A short in-process job (the machine is shared) with the median.</summary>
public sealed class HookedModelBenchmarkConfig : ManualConfig
{
    public HookedModelBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10)
            .WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortInProcess"));
        AddColumn(StatisticColumn.Median);
    }
}
