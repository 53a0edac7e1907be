namespace BitOnnx.Runtime.Native;

/// <summary>
/// Typed calls into the OrtApi table. Each method names its C function and slot index; slots come from the
/// verified table in the project's ONNX Runtime notes (OrtApi only grows by appending, so indices are stable).
/// Linux uses the default C calling convention, which is what <c>delegate* unmanaged</c> means.
/// Status-returning calls go through <see cref="OrtStatus.Check"/>.
/// </summary>
internal static unsafe partial class OrtApi
{
    private static void** T => OrtLibrary.Table;

    // ---- Environment and allocator ----

    /// <summary>#3 CreateEnv(OrtLoggingLevel, const char* logid, OrtEnv** out)</summary>
    public static nint CreateEnv(int loggingLevel, byte* logId)
    {
        nint env;
        OrtStatus.Check(((delegate* unmanaged<int, byte*, nint*, nint>)T[3])(loggingLevel, logId, &env));
        return env;
    }

    /// <summary>#78 GetAllocatorWithDefaultOptions(OrtAllocator** out); the allocator is owned by ORT.</summary>
    public static nint GetAllocatorWithDefaultOptions()
    {
        nint allocator;
        OrtStatus.Check(((delegate* unmanaged<nint*, nint>)T[78])(&allocator));
        return allocator;
    }

    /// <summary>#76 AllocatorFree(OrtAllocator*, void*)</summary>
    public static void AllocatorFree(nint allocator, void* pointer) =>
        OrtStatus.Check(((delegate* unmanaged<nint, void*, nint>)T[76])(allocator, pointer));

    /// <summary>#69 CreateCpuMemoryInfo(OrtAllocatorType, OrtMemType, OrtMemoryInfo** out)</summary>
    public static nint CreateCpuMemoryInfo(int allocatorType, int memType)
    {
        nint info;
        OrtStatus.Check(((delegate* unmanaged<int, int, nint*, nint>)T[69])(allocatorType, memType, &info));
        return info;
    }

    /// <summary>#125 GetAvailableProviders(char*** out, int* length); released with #126.</summary>
    public static string[] GetAvailableProviders()
    {
        byte** names;
        int count;
        OrtStatus.Check(((delegate* unmanaged<byte***, int*, nint>)T[125])(&names, &count));
        try
        {
            var result = new string[count];
            for (int i = 0; i < count; i++) result[i] = Utf8.ToString(names[i]);
            return result;
        }
        finally
        {
            OrtStatus.Check(((delegate* unmanaged<byte**, int, nint>)T[126])(names, count));
        }
    }

    // ---- Release functions (void return) ----

    public static void ReleaseEnv(nint env) => ((delegate* unmanaged<nint, void>)T[92])(env);

    public static void ReleaseMemoryInfo(nint info) => ((delegate* unmanaged<nint, void>)T[94])(info);

    public static void ReleaseSession(nint session) => ((delegate* unmanaged<nint, void>)T[95])(session);

    public static void ReleaseValue(nint value) => ((delegate* unmanaged<nint, void>)T[96])(value);

    public static void ReleaseRunOptions(nint options) => ((delegate* unmanaged<nint, void>)T[97])(options);

    public static void ReleaseTypeInfo(nint info) => ((delegate* unmanaged<nint, void>)T[98])(info);

    public static void ReleaseTensorTypeAndShapeInfo(nint info) => ((delegate* unmanaged<nint, void>)T[99])(info);

    public static void ReleaseSessionOptions(nint options) => ((delegate* unmanaged<nint, void>)T[100])(options);

    public static void ReleaseCUDAProviderOptions(nint options) => ((delegate* unmanaged<nint, void>)T[208])(options);
}
