using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BitOnnx.Benchmarks.Runtime;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Circuits;
using BitOnnx.Core.Data;
using BitOnnx.Engine.Circuits;
using BitOnnx.Engine.Hooks;
using BitOnnx.TestSupport;

namespace BitOnnx.Benchmarks;

/// <summary>
/// Circuit discovery on the shipped P = 113 models over all 12,769 pairs on 2 threads (the budgets: ACDC over
/// every edge within 60 s, EAP within 2 s). Each operation starts from the model: the clean and the resampled run
/// (<see cref="EdgePatching"/>), then ACDC at the default τ = 0.01 on the KL divergence (every edge tested or pruned:
/// 39 on li2024, 69 on nanda2023), EAP of the loss (one backward pass), or EAP-IG of the KL divergence (5 points).
/// Run: dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*CircuitBenchmarks*'
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MedianColumn, MinColumn, MaxColumn]
public class CircuitBenchmarks
{
    private const int Threads = 2;
    private HookedModel _model = null!;
    private int[] _tokens = null!;

    [Params("li2024-ternary", "nanda2023-fp")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var checkpoint = ModelCheckpoint.Load(Path.Combine(RepositoryRoot.Path, "models", Model, "model.safetensors"));
        _model = new HookedModel(checkpoint.Config, checkpoint.Parameters, Threads);
        _tokens = ModularAdditionData.Tokens(113, ModularAdditionData.AllRows(113));
        var patching = new EdgePatching(_model, _tokens, Corruption.Resample);
        var acdc = Engine.Circuits.Acdc.Run(patching, patching.Metric(CircuitMetric.KlDivergence), 0.01);
        Console.WriteLine($"// {Model}: ACDC keeps {acdc.Kept.Count(k => k)} of {acdc.Kept.Length} edges after {acdc.Evaluations} evaluations; KL of the circuit {acdc.Metric:G4}");
    }

    [Benchmark]
    public int Acdc()
    {
        var patching = new EdgePatching(_model, _tokens, Corruption.Resample);
        return Engine.Circuits.Acdc.Run(patching, patching.Metric(CircuitMetric.KlDivergence), 0.01).Evaluations;
    }

    [Benchmark]
    public double Eap()
    {
        var patching = new EdgePatching(_model, _tokens, Corruption.Resample);
        return EdgeAttribution.Eap(patching, patching.Metric(CircuitMetric.Loss))[0];
    }

    [Benchmark]
    public double EapIg()
    {
        var patching = new EdgePatching(_model, _tokens, Corruption.Resample);
        return EdgeAttribution.EapIg(patching, patching.Metric(CircuitMetric.KlDivergence))[0];
    }
}
