using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Benchmarks;

/// <summary>
/// The training engine's matrix products (N = 3831 training rows, d_model 128, d_mlp 512, P = 113) on 1 and 2
/// threads, with GFLOP/s from the median. Run: <c>dotnet run -c Release --project tests/BitOnnx.Benchmarks --
/// --filter *GemmBenchmarks*</c>.
/// </summary>
[Config(typeof(GemmBenchmarkConfig))]
public class GemmBenchmarks
{
    private float[] a = [];
    private float[] b = [];
    private float[] c = [];
    private GemmCase product = GemmCase.All[0];

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = GemmCase.All[0].Name;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static IEnumerable<string> Shapes => GemmCase.All.Select(s => s.Name);

    /// <summary>1 and 2, or the list in BITONNX_BENCH_THREADS (e.g. "1", to compare with one core's FMA peak).</summary>
    public static IEnumerable<int> ThreadCounts =>
        (Environment.GetEnvironmentVariable("BITONNX_BENCH_THREADS") ?? "1,2").Split(',').Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture));

    [GlobalSetup]
    public void Setup()
    {
        product = GemmCase.Find(Shape);
        var random = new Random(42);
        a = Enumerable.Range(0, product.M * product.K).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        b = Enumerable.Range(0, product.K * product.N).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        c = new float[product.M * product.N];
    }

    [Benchmark]
    public void Multiply() => Gemm.Multiply(a, b, c, product.M, product.N, product.K,
        product.TransposeA, product.TransposeB, accumulate: false, Threads);
}

/// <summary>One benchmarked product: C[m×n] = op(A)[m×k]·op(B)[k×n].</summary>
public sealed record GemmCase(string Name, int M, int N, int K, bool TransposeA, bool TransposeB)
{
    private const int Rows = 3831, Model = 128, Mlp = 512, Vocabulary = 113;

    public static readonly GemmCase[] All =
    [
        new("X*W_in", Rows, Mlp, Model, false, false),
        new("H*W_out", Rows, Model, Mlp, false, false),
        new("R*W_U", Rows, Vocabulary, Model, false, false),
        new("Z*W_O", Rows, Model, Model, false, false),
        new("dLogits*W_U^T", Rows, Model, Vocabulary, false, true),
        new("dR*W_out^T", Rows, Mlp, Model, false, true),
        new("dH*W_in^T", Rows, Model, Mlp, false, true),
        new("X^T*dH", Model, Mlp, Rows, true, false),
        new("H^T*dR", Mlp, Model, Rows, true, false),
        new("R^T*dLogits", Model, Vocabulary, Rows, true, false),
        new("small 339x113x128", 339, Vocabulary, Model, false, false),
    ];

    public double Flops => 2.0 * M * N * K;

    public static GemmCase Find(string name) => All.First(s => s.Name == name);
}

/// <summary>A short job (the machine is shared) plus a GFLOP/s column computed from the median.</summary>
public sealed class GemmBenchmarkConfig : ManualConfig
{
    public GemmBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(9).WithId("Short"));
        AddColumn(StatisticColumn.Median, GflopsColumn.Create(c => GemmCase.Find((string)c.Parameters["Shape"]).Flops, "2·m·n·k"));
    }
}
