namespace BitOnnx.Runtime.Native;

internal static unsafe partial class OrtApi
{
    /// <summary>#10 CreateSessionOptions(OrtSessionOptions** out)</summary>
    public static nint CreateSessionOptions()
    {
        nint options;
        OrtStatus.Check(((delegate* unmanaged<nint*, nint>)T[10])(&options));
        return options;
    }

    /// <summary>#11 SetOptimizedModelFilePath(OrtSessionOptions*, const char* path)</summary>
    public static void SetOptimizedModelFilePath(nint options, byte* path) =>
        OrtStatus.Check(((delegate* unmanaged<nint, byte*, nint>)T[11])(options, path));

    /// <summary>#13 SetSessionExecutionMode(OrtSessionOptions*, ExecutionMode)</summary>
    public static void SetSessionExecutionMode(nint options, int mode) =>
        OrtStatus.Check(((delegate* unmanaged<nint, int, nint>)T[13])(options, mode));

    /// <summary>#16 EnableMemPattern / #17 DisableMemPattern</summary>
    public static void SetMemPattern(nint options, bool enable) =>
        OrtStatus.Check(((delegate* unmanaged<nint, nint>)T[enable ? 16 : 17])(options));

    /// <summary>#18 EnableCpuMemArena / #19 DisableCpuMemArena</summary>
    public static void SetCpuMemArena(nint options, bool enable) =>
        OrtStatus.Check(((delegate* unmanaged<nint, nint>)T[enable ? 18 : 19])(options));

    /// <summary>#23 SetSessionGraphOptimizationLevel(OrtSessionOptions*, GraphOptimizationLevel)</summary>
    public static void SetSessionGraphOptimizationLevel(nint options, int level) =>
        OrtStatus.Check(((delegate* unmanaged<nint, int, nint>)T[23])(options, level));

    /// <summary>#24 SetIntraOpNumThreads(OrtSessionOptions*, int)</summary>
    public static void SetIntraOpNumThreads(nint options, int threads) =>
        OrtStatus.Check(((delegate* unmanaged<nint, int, nint>)T[24])(options, threads));

    /// <summary>#25 SetInterOpNumThreads(OrtSessionOptions*, int)</summary>
    public static void SetInterOpNumThreads(nint options, int threads) =>
        OrtStatus.Check(((delegate* unmanaged<nint, int, nint>)T[25])(options, threads));

    /// <summary>#130 AddSessionConfigEntry(OrtSessionOptions*, const char* key, const char* value)</summary>
    public static void AddSessionConfigEntry(nint options, byte* key, byte* value) =>
        OrtStatus.Check(((delegate* unmanaged<nint, byte*, byte*, nint>)T[130])(options, key, value));

    /// <summary>#205 CreateCUDAProviderOptions(OrtCUDAProviderOptionsV2** out); release with #208.</summary>
    public static nint CreateCUDAProviderOptions()
    {
        nint cudaOptions;
        OrtStatus.Check(((delegate* unmanaged<nint*, nint>)T[205])(&cudaOptions));
        return cudaOptions;
    }

    /// <summary>#206 UpdateCUDAProviderOptions(OrtCUDAProviderOptionsV2*, const char* const* keys, const char* const* values, size_t n)</summary>
    public static void UpdateCUDAProviderOptions(nint cudaOptions, byte** keys, byte** values, nuint count) =>
        OrtStatus.Check(((delegate* unmanaged<nint, byte**, byte**, nuint, nint>)T[206])(cudaOptions, keys, values, count));

    /// <summary>#204 SessionOptionsAppendExecutionProvider_CUDA_V2(OrtSessionOptions*, const OrtCUDAProviderOptionsV2*)</summary>
    public static void SessionOptionsAppendExecutionProvider_CUDA_V2(nint options, nint cudaOptions) =>
        OrtStatus.Check(((delegate* unmanaged<nint, nint, nint>)T[204])(options, cudaOptions));

    /// <summary>
    /// #216 SessionOptionsAppendExecutionProvider(OrtSessionOptions*, const char* provider_name,
    /// const char* const* keys, const char* const* values, size_t n)
    /// </summary>
    public static void SessionOptionsAppendExecutionProvider(nint options, byte* providerName, byte** keys, byte** values, nuint count) =>
        OrtStatus.Check(((delegate* unmanaged<nint, byte*, byte**, byte**, nuint, nint>)T[216])(options, providerName, keys, values, count));

    /// <summary>
    /// The exported (not table) function OrtSessionOptionsAppendExecutionProvider_CPU(OrtSessionOptions*, int use_arena).
    /// </summary>
    public static void SessionOptionsAppendExecutionProvider_CPU(nint options, int useArena)
    {
        nint address = System.Runtime.InteropServices.NativeLibrary.GetExport(OrtLibrary.Handle, "OrtSessionOptionsAppendExecutionProvider_CPU");
        OrtStatus.Check(((delegate* unmanaged<nint, int, nint>)address)(options, useArena));
    }
}
