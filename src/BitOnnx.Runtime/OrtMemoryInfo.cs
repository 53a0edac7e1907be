using BitOnnx.Runtime.Native;

namespace BitOnnx.Runtime;

/// <summary>Where tensor memory lives. This binding works with CPU memory only: <see cref="DefaultInstance"/>.</summary>
public sealed class OrtMemoryInfo
{
    private OrtMemoryInfo()
    {
    }

    /// <summary>CPU memory (arena allocator, default memory type), as Microsoft.ML.OnnxRuntime's DefaultInstance.</summary>
    public static OrtMemoryInfo DefaultInstance { get; } = new();

    internal static nint Native => OrtEnvironment.CpuMemoryInfo;
}

/// <summary>ORT's default CPU allocator, for tensors whose memory ORT owns.</summary>
public sealed class OrtAllocator
{
    private OrtAllocator()
    {
    }

    public static OrtAllocator DefaultInstance { get; } = new();

    internal static nint Native => OrtApi.GetAllocatorWithDefaultOptions();
}
