using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BitOnnx.Benchmarks.Runtime;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.TestSupport;

namespace BitOnnx.Benchmarks;

/// <summary>
/// One Run of a no-probe export through ModelSession (a PinnedBatch: no allocation, no copy) at 1 row, 64 rows and all
/// 12,769 pairs, 1 and 2 intra-op threads, per weight format, for the shipped P = 113 models (li2024 binary and ternary:
/// d_model 128, d_mlp 512) and a wider ternary model whose weights dominate (d_model 512, 8 heads, d_mlp 2048;
/// initialized, seed 0). Targets (issue 25): int2 within 1.25× of float at 1 and 64 rows, no slower at all pairs, and on
/// the wide model at least 1.5× faster than float above 64 rows.
/// Run: dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*Int2Inference*'
/// (BITONNX_BENCH_WEIGHTS=float,int2, BITONNX_BENCH_MODELS=wide and BITONNX_BENCH_THREADS=1 pick some;
/// BITONNX_BENCH_CLOCK=thread-cpu times the thread's CPU time instead of the wall, for one thread on a busy machine).
/// </summary>
[Config(typeof(Int2InferenceConfig))]
public class Int2InferenceBenchmarks
{
    public const int AllPairs = 113 * 113;

    private ModelSession _session = null!;
    private PinnedBatch _batch = null!;

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "li2024-ternary";

    [ParamsSource(nameof(Formats))]
    public string Weights { get; set; } = "float";

    [Params(1, 64, AllPairs)]
    public int Rows { get; set; } = 1;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 2;

    public static IEnumerable<string> Models() => Pick("BITONNX_BENCH_MODELS", "li2024-binary,li2024-ternary,wide");

    public static IEnumerable<int> ThreadCounts() => Pick("BITONNX_BENCH_THREADS", "1,2").Select(t => int.Parse(t, CultureInfo.InvariantCulture));

    public static IEnumerable<string> Formats() => Pick("BITONNX_BENCH_WEIGHTS", "float,int8,int8-dynamic,int2,int2-exact,int2-native");

    [GlobalSetup]
    public void Setup()
    {
        var model = TransformerExporter.Export(Checkpoint(Model), new ExportOptions { Weights = WeightFormats.Parse(Weights) }).Model;
        _session = ModelSession.FromModel(model, $"{Model}-{Weights}", new ModelSessionOptions { Threads = Threads, BatchSize = AllPairs });
        _batch = _session.CreateBatch(Rows);
        var tokens = _batch.Tokens;
        for (var r = 0; r < Rows; r++)
        {
            tokens[r * 3] = r * 7 / 113 % 113;
            tokens[r * 3 + 1] = r * 7 % 113;
            tokens[r * 3 + 2] = 113;
        }
    }

    [Benchmark]
    public float Run()
    {
        _batch.Run();
        return _batch.Output(HookNames.Logits)[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _session.Dispose();
    }

    /// <summary>A shipped checkpoint, or "wide": li2024 ternary at d_model 512, 8 heads of 64, d_mlp 2048, initialized.</summary>
    public static ModelCheckpoint.Loaded Checkpoint(string model)
    {
        if (model != "wide") return ModelCheckpoint.Load(Path.Combine(RepositoryRoot.Path, "models", model, "model.safetensors"));
        var config = TransformerConfig.Li2024 with { DModel = 512, NHeads = 8, DHead = 64, DMlp = 2048, Quantization = WeightQuantization.Ternary };
        return new ModelCheckpoint.Loaded(config, ParameterInitializer.Initialize(config, seed: 0), new CheckpointFacts(0, 0, 0.3, []),
            new Dictionary<string, NamedTensor>(), new Dictionary<string, string>());
    }

    private static IEnumerable<string> Pick(string variable, string all) =>
        (Environment.GetEnvironmentVariable(variable) ?? all).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}

public sealed class Int2InferenceConfig : ManualConfig
{
    public Int2InferenceConfig()
    {
        // In process (the build of a generated project outlasts BenchmarkDotNet's limit on a busy 2-core machine); short,
        // because the machine is shared: compare formats within one run, by the ratio of their medians.
        var job = Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(9).WithToolchain(InProcessEmitToolchain.Instance);
        AddJob(Environment.GetEnvironmentVariable("BITONNX_BENCH_CLOCK") == "thread-cpu"
            ? job.WithClock(ThreadCpuClock.Instance).WithId("ThreadCpu")
            : job.WithId("Short"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        AddColumn(new DerivedColumn("vs float", "median / float's median, same model, rows and threads", FloatRatio));
        HideColumns(Column.Error, Column.StdDev);
    }

    private static string FloatRatio(BenchmarkDotNet.Reports.Summary summary, BenchmarkDotNet.Running.BenchmarkCase c)
    {
        string P(BenchmarkDotNet.Running.BenchmarkCase b, string name) => b.Parameters[name]?.ToString() ?? "";
        var baseline = summary.BenchmarksCases.FirstOrDefault(b => P(b, "Weights") == "float" && P(b, "Model") == P(c, "Model")
            && P(b, "Rows") == P(c, "Rows") && P(b, "Threads") == P(c, "Threads"));
        return baseline is not null && DerivedColumn.MedianNanoseconds(summary, c) is double ns && DerivedColumn.MedianNanoseconds(summary, baseline) is double f
            ? (ns / f).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + "×"
            : "-";
    }
}
