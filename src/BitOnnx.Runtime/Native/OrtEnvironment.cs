namespace BitOnnx.Runtime.Native;

/// <summary>
/// The process-wide OrtEnv (ORT wants one per process) and the CPU memory description used for tensors over
/// managed memory. Both live until the process ends, as in Microsoft.ML.OnnxRuntime's OrtEnv singleton.
/// </summary>
internal static unsafe class OrtEnvironment
{
    private const int LoggingLevelWarning = 2;
    private const int ArenaAllocator = 1;
    private const int MemTypeDefault = 0;

    private static readonly Lazy<nint> EnvInstance = new(CreateEnv, LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<nint> CpuMemoryInfoInstance =
        new(() => OrtApi.CreateCpuMemoryInfo(ArenaAllocator, MemTypeDefault), LazyThreadSafetyMode.ExecutionAndPublication);

    public static nint Env => EnvInstance.Value;

    public static nint CpuMemoryInfo => CpuMemoryInfoInstance.Value;

    private static nint CreateEnv()
    {
        fixed (byte* logId = Utf8.Bytes("BitOnnx"))
        {
            return OrtApi.CreateEnv(LoggingLevelWarning, logId);
        }
    }
}
