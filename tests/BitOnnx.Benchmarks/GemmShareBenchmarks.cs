using System.Globalization;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Benchmarks;

/// <summary>
/// The share of this core's FMA peak that one P = 113 epoch's ten matrix products reach together, on one thread: the
/// products run back to back as one case and the FMA peak (at the widest width .NET uses) as another, in one process
/// a minute apart, so the share is one ratio of two medians rather than a sum of ten separately measured ones. A
/// third case runs the micro-kernel alone on panels already packed and held in L2, which bounds what blocking and
/// packing could add. Because this host's speed drifts from minute to minute (most likely other guests share the
/// core's memory system and, at times, its execution units), setup also times them in turn, 31 rounds of a memory
/// read, peak, kernel and products back to back, and prints the median and quartiles of each round's two shares: a
/// ratio taken within milliseconds, which a drift between the separate cases cannot skew; and the products' share in
/// the undisturbed rounds, those where the FMA loop ran within 5 % of its best round and the kernel alone reached
/// 90 % of it, that is, where nothing else held the core; and, of those, the rounds where a 32 MiB memory read also ran
/// within 10 % of its best round, where nothing else held the memory system either. Run (one vCPU;
/// DOTNET_EnableAVX512=0 for the AVX2 kernel):
/// <c>taskset -c 1 dotnet tests/BitOnnx.Benchmarks/bin/Release/net10.0/BitOnnx.Benchmarks.dll --filter *GemmShare*</c>.
/// </summary>
[Config(typeof(GemmShareConfig))]
public class GemmShareBenchmarks
{
    /// <summary>Iterations of the FMA loop: about as long as the products (a few milliseconds).</summary>
    public const int PeakIterations = 2_000_000;

    /// <summary>Kernel-only case: this many A micro-panels (about one row block) against four B micro-panels.</summary>
    public const int KernelAPanels = 44, KernelBPanels = 4;

    private readonly List<(GemmCase Product, float[] A, float[] B, float[] C)> products = [];

    // 64-byte aligned like the driver's packing workspace: a managed array's vector loads would split cache lines.
    private unsafe float* packedA, packedB, kernelC;

    /// <summary>The ten products of an epoch (forward, input gradients, weight gradients).</summary>
    public static IEnumerable<GemmCase> EpochProducts => GemmCase.All.Where(c => !c.Name.StartsWith("small", StringComparison.Ordinal));

    public static double EpochFlops => EpochProducts.Sum(c => c.Flops);

    public static bool Wide => Avx512MicroKernel.IsSupported;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        foreach (GemmCase product in EpochProducts)
        {
            products.Add((product, Fill(product.M * product.K), Fill(product.K * product.N), new float[product.M * product.N]));
        }

        unsafe
        {
            packedA = Aligned(Fill(KernelAPanels * GemmBlocking.APanelFloats(KernelRows)));
            packedB = Aligned(Fill(KernelBPanels * GemmBlocking.DepthBlock * KernelColumns));
            kernelC = Aligned(new float[KernelAPanels * KernelRows * KernelBPanels * KernelColumns]);
        }

        memoryStream = Fill(MemoryFloats);
        Console.WriteLine(PairedShares());
    }

    [GlobalCleanup]
    public unsafe void Cleanup()
    {
        NativeMemory.AlignedFree(packedA);
        NativeMemory.AlignedFree(packedB);
        NativeMemory.AlignedFree(kernelC);
        packedA = packedB = kernelC = null;
    }

    private static unsafe float* Aligned(float[] values)
    {
        var target = (float*)NativeMemory.AlignedAlloc((nuint)(values.Length * sizeof(float)), 64);
        values.CopyTo(new Span<float>(target, values.Length));
        return target;
    }

    /// <summary>Rounds of the paired measurement in setup.</summary>
    public const int PairedRounds = 31;

    /// <summary>A round whose kernel-only share reaches this ran on an undisturbed core.</summary>
    public const double QuietKernelShare = 0.9;

    /// <summary>Kernel-only calls per round, so the round's kernel time is a few milliseconds like the others.</summary>
    public const int KernelRepeats = 16;

    public static int KernelRows => Wide ? Avx512MicroKernel.Rows : Avx2MicroKernel.Rows;

    public static int KernelColumns => Wide ? Avx512MicroKernel.Columns : Avx2MicroKernel.Columns;

    /// <summary>Flops of one <see cref="KernelOnly"/> call: every A panel against every B panel, full depth blocks.</summary>
    public static double KernelFlops => 2.0 * KernelAPanels * KernelRows * KernelBPanels * KernelColumns * GemmBlocking.DepthBlock;

    [Benchmark]
    public void EpochGemms()
    {
        foreach (var (p, a, b, c) in products)
        {
            Gemm.Multiply(a, b, c, p.M, p.N, p.K, p.TransposeA, p.TransposeB, accumulate: false, threads: 1);
        }
    }

    [Benchmark]
    public void KernelOnly()
    {
        if (Wide)
        {
            SweepPackedPanels<Avx512MicroKernel>();
        }
        else
        {
            SweepPackedPanels<Avx2MicroKernel>();
        }
    }

    [Benchmark]
    public float FmaPeakWidest() => Wide ? FmaPeak.Run512(PeakIterations) : FmaPeak.Run256(PeakIterations);

    private string PairedShares()
    {
        double peakFlops = GemmShareConfig.PeakFlops, kernelFlops = KernelFlops * KernelRepeats;
        var kernelShares = new List<double>();
        var productShares = new List<double>();
        var peakRates = new List<double>();
        var memoryRates = new List<double>();
        for (int round = -3; round < PairedRounds; round++)
        {
            double memory = Seconds(() => ReadMemory());
            double peak = Seconds(() => FmaPeakWidest()), kernel = Seconds(() =>
            {
                for (int i = 0; i < KernelRepeats; i++)
                {
                    KernelOnly();
                }
            }), epoch = Seconds(EpochGemms);
            if (round >= 0)
            {
                peakRates.Add(peakFlops / peak);
                memoryRates.Add(1 / memory);
                kernelShares.Add(kernelFlops / kernel / (peakFlops / peak));
                productShares.Add(EpochFlops / epoch / (peakFlops / peak));
            }
        }

        string Quartiles(List<double> shares)
        {
            var sorted = shares.Order().ToList();
            return string.Create(CultureInfo.InvariantCulture,
                $"median {sorted[sorted.Count / 2]:P1} (quartiles {sorted[sorted.Count / 4]:P1}, {sorted[(3 * sorted.Count) / 4]:P1})");
        }

        // Undisturbed rounds: the FMA loop ran within 5 % of its best round and the kernel alone near that peak; and,
        // stricter, the memory read as fast as in its best round too (the products stream 2-8 MB operands).
        double bestPeak = peakRates.Max(), bestMemory = memoryRates.Max();
        bool Undisturbed(int round) => peakRates[round] >= 0.95 * bestPeak && kernelShares[round] >= QuietKernelShare;
        bool MemoryToo(int round) => Undisturbed(round) && memoryRates[round] >= (1 - QuietMemorySlack) * bestMemory;
        string Median(Func<int, bool> counted)
        {
            var shares = productShares.Where((_, round) => counted(round)).Order().ToList();
            return shares.Count == 0
                ? "none"
                : string.Create(CultureInfo.InvariantCulture, $"{shares.Count}, the products' median {shares[shares.Count / 2]:P1}");
        }

        return $"// paired, {PairedRounds} rounds, {(Wide ? "512" : "256")}-bit: share of the FMA peak measured in the same round: "
            + $"kernel only {Quartiles(kernelShares)}; the epoch's ten products {Quartiles(productShares)}; "
            + $"undisturbed rounds (peak within 5 % of its best, kernel at >= {QuietKernelShare:P0} of it): {Median(Undisturbed)}; "
            + $"of those, memory read within {QuietMemorySlack:P0} of its best: {Median(MemoryToo)}";
    }

    /// <summary>A round whose memory read ran this much slower than the best round's shared the memory system.</summary>
    public const double QuietMemorySlack = 0.1;

    /// <summary>Floats the memory read sweeps: 32 MiB, far past L2, like the epoch's operands together.</summary>
    public const int MemoryFloats = 8 << 20;

    private float[] memoryStream = [];

    /// <summary>Sums a buffer the size of the epoch's operands: how fast this core reads memory this round.</summary>
    private float ReadMemory()
    {
        var sum = System.Numerics.Vector<float>.Zero;
        ReadOnlySpan<System.Numerics.Vector<float>> vectors = MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(memoryStream);
        foreach (System.Numerics.Vector<float> v in vectors)
        {
            sum += v;
        }

        return System.Numerics.Vector.Sum(sum);
    }

    private static double Seconds(Action run)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        run();
        return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private unsafe void SweepPackedPanels<TKernel>()
        where TKernel : struct, IGemmMicroKernel
    {
        int rows = TKernel.Rows, columns = TKernel.Columns, depth = GemmBlocking.DepthBlock;
        var panels = APanels.PackedRows(null, rows);
        int ldc = KernelBPanels * columns;
        for (int i = 0; i < KernelAPanels; i++)
        {
            for (int j = 0; j < KernelBPanels; j++)
            {
                float* bPanel = packedB + (j * depth * columns);
                TKernel.Multiply(depth, packedA + (i * panels.PanelStride), panels.RowStride, panels.StepStride, bPanel,
                    kernelC + (i * rows * ldc) + (j * columns), ldc, loadC: true, prefetch: bPanel);
            }
        }
    }
}

/// <summary>In-process (all cases in one process), with GFLOP/s and the products' share of the peak.</summary>
public sealed class GemmShareConfig : ManualConfig
{
    public GemmShareConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(5).WithIterationCount(25)
            .WithToolchain(InProcessEmitToolchain.Instance).WithId("InProcess"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Q1, StatisticColumn.Q3, GflopsColumn.Create(Flops, "flops / median"),
            new DerivedColumn("Share of peak", "the case's GFLOP/s over the FMA peak case's (medians)", ShareOfPeak, priority: 1));
    }

    internal static double Flops(BenchmarkCase c) => c.Descriptor.WorkloadMethod.Name switch
    {
        nameof(GemmShareBenchmarks.EpochGemms) => GemmShareBenchmarks.EpochFlops,
        nameof(GemmShareBenchmarks.KernelOnly) => GemmShareBenchmarks.KernelFlops,
        _ => PeakFlops,
    };

    /// <summary>A case's GFLOP/s over the FMA peak's, both from medians of the same summary.</summary>
    private static string ShareOfPeak(Summary summary, BenchmarkCase benchmarkCase)
    {
        double Rate(BenchmarkCase c) => DerivedColumn.MedianNanoseconds(summary, c) is double ns ? Flops(c) / ns : double.NaN;
        BenchmarkCase? peak = summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.WorkloadMethod.Name == nameof(GemmShareBenchmarks.FmaPeakWidest));
        double share = peak is null ? double.NaN : Rate(benchmarkCase) / Rate(peak);
        return double.IsNaN(share) ? "-" : share.ToString("P1", CultureInfo.InvariantCulture);
    }

    internal static double PeakFlops => FmaPeak.Flops(GemmShareBenchmarks.Wide ? 16 : 8, GemmShareBenchmarks.PeakIterations);
}
