namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>
/// What the CPU itself offers, read from /proc/cpuinfo. ONNX Runtime's native kernels (MLAS) pick their code path from
/// CPUID at load time, whatever .NET's JIT was told (DOTNET_EnableAVX512F=0 changes only .NET's own paths), so tests of
/// ONNX Runtime's numerics must ask the CPU, not System.Runtime.Intrinsics. Where /proc/cpuinfo is missing (not Linux)
/// .NET's view is the best there is.
/// </summary>
internal static class CpuFeatures
{
    private static readonly Lazy<HashSet<string>?> Flags = new(ReadFlags);

    public static bool IsX86 => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is
        System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.X86;

    /// <summary>
    /// VNNI (VPDPBUSD: u8·s8 products summed straight into int32), as AVX-512 VNNI or AVX-VNNI. Without it MLAS's u8×s8
    /// GEMM on x86 uses VPMADDUBSW, which adds two u8·s8 products into a saturating int16.
    /// </summary>
    public static bool HasVnni => Flags.Value is { } flags
        ? flags.Contains("avx512_vnni") || flags.Contains("avx_vnni")
        : System.Runtime.Intrinsics.X86.AvxVnni.IsSupported;

    /// <summary>A name for messages: what the u8×s8 integer GEMM of ONNX Runtime runs on here.</summary>
    public static string IntegerGemmPath => !IsX86 ? "non-x86 (int32 dot products)" : HasVnni ? "x86 with VNNI" : "x86 without VNNI (VPMADDUBSW, int16 saturation)";

    private static HashSet<string>? ReadFlags()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path)) return null;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return line is null ? null : line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }
}
