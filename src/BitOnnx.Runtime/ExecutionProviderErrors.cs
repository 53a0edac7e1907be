using BitOnnx.Runtime.Native;

namespace BitOnnx.Runtime;

/// <summary>
/// Turns ORT's terse provider failures ("Failed to load shared library", "No supported adapters") into messages
/// that say what is missing, where it comes from, and that the CPU provider works.
/// </summary>
internal static class ExecutionProviderErrors
{
    public const string Cpu = "CPU";
    public const string CudaProvider = "CUDA";
    public const string WebGpu = "WebGPU";
    public const string CudaLibrary = "libonnxruntime_providers_cuda.so";
    public const string SharedProvidersLibrary = "libonnxruntime_providers_shared.so";
    public const string CudaPackage = "Microsoft.ML.OnnxRuntime.Gpu.Linux";

    public static OnnxRuntimeException Cuda(OnnxRuntimeException cause)
    {
        string directory = Path.GetDirectoryName(OrtLibrary.Path) ?? ".";
        var missing = new[] { CudaLibrary, SharedProvidersLibrary }
            .Where(f => !File.Exists(Path.Combine(directory, f)))
            .ToArray();
        string missingText = missing.Length > 0
            ? $"missing from {directory}: {string.Join(" and ", missing)}"
            : $"{CudaLibrary} and {SharedProvidersLibrary} are in {directory} but did not load (CUDA 12 or cuDNN 9 missing?)";
        return new OnnxRuntimeException(
            cause.ErrorCode,
            $"The CUDA execution provider is not available: {missingText}. These libraries ship in the NuGet package " +
            $"{CudaPackage} (not obtainable on this machine) and need CUDA 12 and cuDNN 9. The CPU execution provider " +
            $"works: leave out AppendExecutionProvider_CUDA to run on the CPU. ONNX Runtime said: {cause.RuntimeMessage}",
            cause);
    }

    public static OnnxRuntimeException ForAppend(string providerName, OnnxRuntimeException cause) =>
        string.Equals(providerName, WebGpu, StringComparison.OrdinalIgnoreCase) ? WebGpuUnavailable(cause) : cause;

    /// <summary>A session that fails to build with a GPU provider appended is reported as that provider being unavailable.</summary>
    public static OnnxRuntimeException ForSessionCreation(IReadOnlyList<string> appendedProviders, OnnxRuntimeException cause)
    {
        bool webGpu = appendedProviders.Any(p => string.Equals(p, WebGpu, StringComparison.OrdinalIgnoreCase));
        if (webGpu && MentionsWebGpu(cause.RuntimeMessage)) return WebGpuUnavailable(cause);
        bool cuda = appendedProviders.Contains(CudaProvider);
        if (cuda && cause.RuntimeMessage.Contains("cuda", StringComparison.OrdinalIgnoreCase)) return Cuda(cause);
        return cause;
    }

    private static bool MentionsWebGpu(string message) =>
        message.Contains("adapter", StringComparison.OrdinalIgnoreCase)
        || message.Contains("webgpu", StringComparison.OrdinalIgnoreCase)
        || message.Contains("dawn", StringComparison.OrdinalIgnoreCase);

    private static OnnxRuntimeException WebGpuUnavailable(OnnxRuntimeException cause) =>
        new(
            cause.ErrorCode,
            "The WebGPU execution provider is not available: it needs a GPU adapter that Dawn can drive (Vulkan on Linux), " +
            "and none was found. The CPU execution provider works: leave out AppendExecutionProvider_WebGPU to run on the CPU. " +
            $"ONNX Runtime said: {cause.RuntimeMessage}",
            cause);
}
