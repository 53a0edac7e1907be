using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BitOnnx.Benchmarks.Runtime;
using BitOnnx.Core.Checkpoints;
using BitOnnx.ML;
using BitOnnx.Onnx.Export;
using BitOnnx.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Transforms.Onnx;

namespace BitOnnx.Benchmarks;

/// <summary>
/// The ML.NET model of models/li2024-binary (P = 113) scored the way ML.NET scores: one ONNX Runtime call per row.
/// Transform over all 12,769 pairs (target ≤ 0.8 s) and PredictionEngine.Predict per row (target ≤ 60 µs; ML.NET's
/// floor with a trivial graph is 27-34 µs), per weight format and ONNX Runtime thread count; beside one batched call
/// over the same pairs on 2 threads. In process and warm: the first Transform of an app is timed by
/// tools/mlnet-timing.sh. Run: dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*MlNet*'
/// </summary>
[Config(typeof(MlNetScoringConfig))]
public class MlNetScoringBenchmarks
{
    private const int P = 113;
    private const int EngineRows = 1000;

    private MLContext _ml = null!;
    private ITransformer _model = null!;
    private IDataView _pairs = null!;
    private PredictionEngine<ModularAdditionInput, ModularAdditionPrediction> _engine = null!;
    private ModularAdditionInput[] _rows = null!;
    private InferenceSession _batched = null!;
    private NamedOnnxValue[] _batchInputs = null!;

    /// <summary>float, int8, the 2-bit formats; BITONNX_BENCH_WEIGHTS=float,int2-native picks some.</summary>
    [ParamsSource(nameof(Formats))]
    public string Weights { get; set; } = "float";

    public static IEnumerable<string> Formats() =>
        (Environment.GetEnvironmentVariable("BITONNX_BENCH_WEIGHTS") ?? "float,int8,int2,int2-exact,int2-native").Split(',', StringSplitOptions.TrimEntries);

    /// <summary>
    /// ONNX Runtime intra-op threads per call: 0 (left to ONNX Runtime: a thread per core, what a plain app that sets
    /// nothing gets) or 1 (what the library sets on a context without session options). BITONNX_BENCH_THREADS=1 picks
    /// one, so that runs of each can alternate on a shared machine.
    /// </summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 1;

    public static IEnumerable<int> ThreadCounts() =>
        (Environment.GetEnvironmentVariable("BITONNX_BENCH_THREADS") ?? "0,1").Split(',', StringSplitOptions.TrimEntries).Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture));

    [GlobalSetup]
    public void Setup()
    {
        var checkpoint = ModelCheckpoint.Load(Path.Combine(RepositoryRoot.Path, "models", "li2024-binary", "model.safetensors"));
        var graph = MlNetExport.PairGraph(checkpoint, WeightFormats.Parse(Weights));
        _ml = new MLContext();
        _ml.SetOnnxSessionOption(new OnnxSessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1 });
        _model = ModularAdditionPredictor.Fitted(_ml, graph);
        _rows = Enumerable.Range(0, P * P).Select(r => new ModularAdditionInput { A = r / P, B = r % P }).ToArray();
        _pairs = _ml.Data.LoadFromEnumerable(_rows);
        _engine = _ml.Model.CreatePredictionEngine<ModularAdditionInput, ModularAdditionPrediction>(_model);

        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        _batched = new InferenceSession(graph, options);
        _batchInputs =
        [
            NamedOnnxValue.CreateFromTensor("A", new DenseTensor<long>(_rows.Select(r => (long)r.A).ToArray(), [P * P, 1])),
            NamedOnnxValue.CreateFromTensor("B", new DenseTensor<long>(_rows.Select(r => (long)r.B).ToArray(), [P * P, 1])),
        ];
    }

    /// <summary>All 12,769 pairs through Transform, reading every PredictedSum.</summary>
    [Benchmark]
    public int TransformAllPairs()
    {
        var sum = 0;
        foreach (var v in _model.Transform(_pairs).GetColumn<int[]>(ModularAdditionColumns.PredictedSum)) sum += v[0];
        return sum;
    }

    /// <summary>One PredictionEngine.Predict per row (the time shown is per row).</summary>
    [Benchmark(OperationsPerInvoke = EngineRows)]
    public int PredictPerRow()
    {
        var sum = 0;
        for (var i = 0; i < EngineRows; i++) sum += _engine.Predict(_rows[i * 7 % _rows.Length]).PredictedSum[0];
        return sum;
    }

    /// <summary>The same graph, all pairs in one ONNX Runtime call on 2 threads (what ModelSession does).</summary>
    [Benchmark]
    public long BatchedAllPairs()
    {
        using var results = _batched.Run(_batchInputs);
        return results.First(r => r.Name == ModularAdditionColumns.PredictedSum).AsTensor<long>()[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _batched.Dispose();
        (_model as IDisposable)?.Dispose();
    }
}

public sealed class MlNetScoringConfig : ManualConfig
{
    public MlNetScoringConfig()
    {
        // In process: the generated project's build outlasts BenchmarkDotNet's 2-minute limit on a busy 2-core machine.
        // BITONNX_BENCH_CLOCK=thread-cpu: the benchmark thread's CPU time (ThreadCpuClock), for one ONNX Runtime thread on a busy machine.
        var job = Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7)
            .WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance);
        AddJob(Environment.GetEnvironmentVariable("BITONNX_BENCH_CLOCK") == "thread-cpu" ? job.WithClock(ThreadCpuClock.Instance).WithId("ThreadCpu") : job.WithId("Short"));
        AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median);
    }
}
