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

    /// <summary>AVX2 with FMA: the least MLAS's x86 GEMM kernels other than SSE need, and the least its 2-bit kernels need.</summary>
    public static bool HasAvx2 => Flags.Value is { } flags
        ? flags.Contains("avx2") && flags.Contains("fma")
        : System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    /// <summary>AVX-512 F, BW, DQ and VL: what MLAS takes for its AVX-512 ("core") kernels.</summary>
    public static bool HasAvx512Core => Flags.Value is { } flags
        ? new[] { "avx512f", "avx512bw", "avx512dq", "avx512vl" }.All(flags.Contains)
        : System.Runtime.Intrinsics.X86.Avx512BW.IsSupported && System.Runtime.Intrinsics.X86.Avx512DQ.IsSupported;

    /// <summary>
    /// The family of MLAS kernels ONNX Runtime picks here (platform.cpp: the best of AVX-512 VNNI, AVX-512, AVX-VNNI,
    /// AVX2), for both the u8×s8 GEMM under DynamicQuantizeMatMul and the 2-bit MatMulNBits kernels (PR #29064: AVX-512
    /// and AVX-512 VNNI; PR #29619: AVX2 and AVX-VNNI).
    /// </summary>
    public static string KernelFamily => !IsX86 ? "non-x86"
        : HasAvx512Core && HasVnni && Flags.Value?.Contains("avx512_vnni") != false ? "AVX-512 VNNI"
        : HasAvx512Core ? "AVX-512"
        : HasAvx2 && HasVnni ? "AVX-VNNI"
        : HasAvx2 ? "AVX2"
        : "SSE (no AVX2)";

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
