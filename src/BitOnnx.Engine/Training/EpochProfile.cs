using System.Diagnostics;

namespace BitOnnx.Engine.Training;

/// <summary>The parts of an epoch that <see cref="EpochProfile"/> times separately; the rest is copies and elementwise work.</summary>
public enum EpochPart
{
    Gemm,
    AttentionMixing,
    Quantizer,
    GradientFilter,
    AdamW,
    FinalNorm,
    CrossEntropy,
}

/// <summary>
/// Wall time per part of the epoch, for the profile benchmark. Off by default: a disabled scope costs one static read.
/// Scopes are opened on the calling thread only (a part's workers run inside its scope), so parts never overlap, and
/// the time not in any part (table building, gathers, residual adds, ReLU, layout copies) is the epoch's total minus
/// their sum. Not thread-safe across concurrent epochs: profile one step at a time.
/// </summary>
public static class EpochProfile
{
    private static readonly long[] Ticks = new long[Enum.GetValues<EpochPart>().Length];
    private static long _gemmFlops;

    public static bool Enabled { get; set; }

    /// <summary>Times a part until disposed (nothing when disabled).</summary>
    public static Scope Time(EpochPart part) => Enabled ? new Scope(part, Stopwatch.GetTimestamp()) : default;

    /// <summary>Counts 2·m·n·k of a matrix product while enabled.</summary>
    public static void AddGemmFlops(long m, long n, long k)
    {
        if (Enabled) _gemmFlops += 2 * m * n * k;
    }

    public static void Reset()
    {
        Array.Clear(Ticks);
        _gemmFlops = 0;
    }

    /// <summary>Seconds spent in each part since the last reset.</summary>
    public static IReadOnlyDictionary<EpochPart, double> Seconds() =>
        Enum.GetValues<EpochPart>().ToDictionary(p => p, p => (double)Ticks[(int)p] / Stopwatch.Frequency);

    public static long GemmFlops => _gemmFlops;

    public readonly struct Scope(EpochPart part, long start) : IDisposable
    {
        public void Dispose()
        {
            if (start != 0) Ticks[(int)part] += Stopwatch.GetTimestamp() - start;
        }
    }
}
