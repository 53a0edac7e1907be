using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BitOnnx.Benchmarks.PyTorch;
using BitOnnx.Engine.Training;

namespace BitOnnx.Benchmarks;

/// <summary>
/// The engine's full-batch epoch at P = 113 beside the same epoch in PyTorch 1.13 + OpenBLAS, both at 2 threads, in one
/// run. PyTorch runs tools/pytorch-epoch.py in a child process that answers one epoch per call, in two styles: the
/// papers' (every position, einsum attention) and the engine's last-position shortcut in plain matmuls, which tells
/// the shortcut's share of the gap from the rest. With <c>DOTNET_EnableAVX512=0</c> both sides use
/// AVX2 kernels (see <see cref="PyTorchEpochProcess"/>). The cases give each trainer's median; because this host
/// drifts between cases, the ratio column comes from each PyTorch case's setup instead, which times the two trainers
/// in turn (<see cref="PairedEpochs"/>) and also prints those rounds' quartiles. Run:
/// <c>dotnet run -c Release --project tests/BitOnnx.Benchmarks -- --filter '*PyTorchEpoch*'</c>.
/// </summary>
[Config(typeof(PyTorchEpochBenchmarkConfig))]
public class PyTorchEpochBenchmarks
{
    public const int Threads = 2;

    /// <summary>Rounds of the paired timing, and each side's timed epochs per round (about a second each): 40 s per PyTorch case.</summary>
    public const int PairedRounds = 15, EngineEpochsPerRound = 12, PyTorchEpochsPerRound = 2;

    private static readonly Dictionary<(string Model, string Style), PairedEpochs.Result> Paired = [];

    private TrainingStep _engine = null!;
    private PyTorchEpochProcess _pytorch = null!;

    [Params("li2024-none", "li2024-binary", "li2024-ternary", "nanda2023-none")]
    public string Model { get; set; } = "li2024-none";

    [GlobalSetup(Target = nameof(BitOnnx))]
    public void SetUpEngine() => _engine = TrainingEpochBenchmarks.WarmStep(Model, Threads);

    [GlobalCleanup(Target = nameof(BitOnnx))]
    public void TearDownEngine() => _engine = null!;

    [GlobalSetup(Target = nameof(PyTorch))]
    public void SetUpPyTorch() => SetUpPyTorch("originals");

    [GlobalSetup(Target = nameof(PyTorchLastPosition))]
    public void SetUpPyTorchLastPosition() => SetUpPyTorch("last-position");

    [GlobalCleanup(Targets = [nameof(PyTorch), nameof(PyTorchLastPosition)])]
    public void TearDownPyTorch() => _pytorch.Dispose();

    /// <summary>Starts the child, then times it against a fresh engine step in turn; the ratio goes to the summary.</summary>
    private void SetUpPyTorch(string style)
    {
        _pytorch = PyTorchEpochProcess.Start(Model, style, Threads);
        _pytorch.RunEpoch();

        using var engine = TrainingEpochBenchmarks.WarmStep(Model, Threads);
        // Earlier cases' steps (hundreds of MB of buffers) are garbage by now: collect them before the timing, so
        // that a background collection does not take a core from the rounds.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var paired = PairedEpochs.Measure(() => engine.Run(), EngineEpochsPerRound, () => _pytorch.RunEpoch(), PyTorchEpochsPerRound, PairedRounds);
        Paired[(Model, style)] = paired;
        var (engineMs, pytorchMs) = paired.MedianEpochMs;
        var (low, high) = paired.RatioQuartiles;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// {Model}, PyTorch {style} ({_pytorch.Description}), {PairedRounds} paired rounds: BitOnnx {engineMs:F1} ms, PyTorch {pytorchMs:F1} ms per epoch (medians of the rounds' means), PyTorch / BitOnnx median {paired.MedianRatio:F2} (quartiles {low:F2}, {high:F2})"));
    }

    [Benchmark]
    public double BitOnnx() => _engine.Run();

    /// <summary>The papers' way: every position through every layer.</summary>
    [Benchmark]
    public double PyTorch() => _pytorch.RunEpoch();

    /// <summary>The engine's shortcut written in PyTorch: only what the last position's logits need.</summary>
    [Benchmark]
    public double PyTorchLastPosition() => _pytorch.RunEpoch();

    /// <summary>The paired rounds' median ratio, on PyTorch's rows; blank on the engine's.</summary>
    public static string PairedRatio(Summary summary, BenchmarkCase benchmarkCase)
    {
        var style = benchmarkCase.Descriptor.WorkloadMethod.Name switch
        {
            nameof(PyTorch) => "originals",
            nameof(PyTorchLastPosition) => "last-position",
            _ => null,
        };
        if (style is null) return "";
        return Paired.TryGetValue(((string)benchmarkCase.Parameters[nameof(Model)], style), out var paired)
            ? paired.MedianRatio.ToString("F2", CultureInfo.InvariantCulture) + "×"
            : "?";
    }
}

/// <summary>In process (the paired ratios live in this process), a short job, with medians and the paired ratio.</summary>
public sealed class PyTorchEpochBenchmarkConfig : ManualConfig
{
    public PyTorchEpochBenchmarkConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(11).WithId("InProcess"));
        AddColumn(StatisticColumn.Median, new DerivedColumn("PyTorch / BitOnnx", "median over the paired rounds of PyTorch's time over BitOnnx's (setup log)",
            PyTorchEpochBenchmarks.PairedRatio));
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByParams);
    }
}
