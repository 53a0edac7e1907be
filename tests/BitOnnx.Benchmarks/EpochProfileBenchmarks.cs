using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BitOnnx.Engine.Training;

namespace BitOnnx.Benchmarks;

/// <summary>
/// Where one P = 113 epoch's time goes, per mode: before the timed epochs, 25 epochs run with <see cref="EpochProfile"/>
/// on and the medians per part are printed (GEMM with its GFLOP/s as a share of this core's measured FMA peak, attention
/// mixing, quantizer + STE + weight layout, AdamW, final norm, cross-entropy, and the rest: copies, gathers, residual
/// adds, ReLU). Run: <c>dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter *EpochProfile*</c>;
/// with DOTNET_EnableAVX512=0 for the AVX2 paths.
/// </summary>
[Config(typeof(EpochProfileConfig))]
public class EpochProfileBenchmarks
{
    private const int ProfiledEpochs = 25;
    private TrainingStep _step = null!;

    [Params("li2024-none", "li2024-binary", "li2024-ternary", "nanda2023-none")]
    public string Model { get; set; } = "li2024-none";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _step = TrainingEpochBenchmarks.WarmStep(Model, Threads);
        for (var i = 0; i < 2; i++) _step.Run();
        Console.WriteLine(Profile());
    }

    [Benchmark]
    public double Epoch() => _step.Run();

    private string Profile()
    {
        var totals = new List<double>();
        var perPart = Enum.GetValues<EpochPart>().ToDictionary(p => p, _ => new List<double>());
        long flops = 0;
        EpochProfile.Enabled = true;
        try
        {
            for (var i = 0; i < ProfiledEpochs; i++)
            {
                EpochProfile.Reset();
                var start = Stopwatch.GetTimestamp();
                _step.Run();
                totals.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                foreach (var (part, seconds) in EpochProfile.Seconds()) perPart[part].Add(seconds * 1e3);
                flops = EpochProfile.GemmFlops;
            }
        }
        finally
        {
            EpochProfile.Enabled = false;
        }
        var (width, peak) = FmaPeak.MeasureWidest();
        var total = Median(totals);
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(inv, $"// profile {Model} threads={Threads} avx512={Vector512.IsHardwareAccelerated}: median of {ProfiledEpochs} epochs {total:F2} ms"));
        var named = 0.0;
        foreach (var (part, times) in perPart)
        {
            var ms = Median(times);
            named += ms;
            var extra = part == EpochPart.Gemm
                ? string.Create(inv, $"  {flops / (ms * 1e6):F1} GFLOP/s = {flops / (ms * 1e6) / (peak * Threads):P0} of {Threads} × {peak:F1} GFLOP/s ({width} FMA peak per core)")
                : "";
            text.AppendLine(string.Create(inv, $"//   {part,-16} {ms,7:F2} ms {ms / total,6:P1}{extra}"));
        }
        text.AppendLine(string.Create(inv, $"//   {"copies+rest",-16} {total - named,7:F2} ms {(total - named) / total,6:P1}  (table building, gathers, residual adds, ReLU)"));
        return text.ToString();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}

public sealed class EpochProfileConfig : ManualConfig
{
    public EpochProfileConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(9).WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortInProcess"));
        AddColumn(StatisticColumn.Median);
    }
}
