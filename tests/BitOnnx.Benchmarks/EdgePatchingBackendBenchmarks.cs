using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BitOnnx.Core.Circuits;
using BitOnnx.Core.Data;
using BitOnnx.Engine.Circuits;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Circuits;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Pipelines.Models;
using BitOnnx.TestSupport;

namespace BitOnnx.Benchmarks;

/// <summary>
/// One edge-patched pass over all 12,769 pairs of a shipped P = 113 model, every node recomputed, on 2 threads: the
/// engine (a fresh <see cref="EdgePatchedRun"/>, so nothing is reused from an earlier pass) against ONNX Runtime on the
/// export's edge-patched graph (<see cref="OnnxEdgePatching"/>), both from the same file's folded weights, with the
/// same seeded mask (each edge clean or corrupted with probability 1/2). The clean and corrupted senders are made once,
/// in the setup, as a search makes them once.
/// Run: dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*EdgePatchingBackendBenchmarks*'
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
[MedianColumn, MinColumn, MaxColumn]
public class EdgePatchingBackendBenchmarks
{
    private const int Threads = 2;
    private EdgePatching _engine = null!;
    private OnnxEdgePatching _onnx = null!;
    private float[] _mask = null!;

    [Params("li2024-ternary", "nanda2023-fp")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var onnx = OnnxModel.Load(Path.Combine(RepositoryRoot.Path, "models", Model, Model + ".onnx"));
        var p = ExportMetadata.ReadP(onnx, Model);
        var tokens = ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p));
        _engine = new EdgePatching(ExportedEngine.Load(onnx, ExportMetadata.Read(onnx, Model), Model, "the benchmark", threads: Threads), tokens, Corruption.Resample);
        _onnx = new OnnxEdgePatching(onnx, Model, tokens, Corruption.Resample, options: new ModelSessionOptions { Threads = Threads });
        var random = new Random(1);
        _mask = Enumerable.Range(0, _engine.Graph.Edges.Count).Select(_ => (float)random.Next(2)).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _onnx.Dispose();

    [Benchmark(Baseline = true)]
    public float Engine()
    {
        var run = _engine.NewRun();
        for (var e = 0; e < _mask.Length; e++) run[e] = _mask[e];
        return run.Logits()[0];
    }

    [Benchmark]
    public float OnnxRuntime() => _onnx.Logits(_mask)[0];
}
