using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Runtime;

/// <summary>
/// The CUDA execution provider, with the two ways it cannot start said in one line each: the build ships the CPU package
/// (no CUDA provider inside), or the CUDA libraries the provider links are not on this machine. The libraries are probed
/// with <see cref="NativeLibrary.TryLoad(string, out nint)"/> before ONNX Runtime is asked, because ONNX Runtime's own
/// error names only its provider library, not the CUDA library that failed to load.
/// </summary>
public static class CudaProvider
{
    /// <summary>The switch that builds with Microsoft.ML.OnnxRuntime.Gpu.Linux (build/OnnxRuntimeFlavor.props).</summary>
    public const string BuildSwitch = "-p:OnnxRuntimeFlavor=cuda";

    /// <summary>
    /// What libonnxruntime_providers_cuda.so of ONNX Runtime 1.31 loads: CUDA 13's runtime, cuBLAS, cuRAND and cuFFT, and
    /// cuDNN 9 (see `ldd` on the provider library). The driver's libcuda.so.1 comes with the GPU driver.
    /// </summary>
    public static IReadOnlyList<string> RequiredLibraries { get; } =
        ["libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcufft.so.12", "libcudnn.so.9"];

    /// <summary>True when this build carries the CUDA provider (built with <see cref="BuildSwitch"/>).</summary>
    public static bool IsCudaBuild =>
#if ONNXRUNTIME_CUDA
        true;
#else
        false;
#endif

    public static string CpuBuildMessage =>
        $"The CUDA execution provider is not in this build, which ships ONNX Runtime's CPU package: build with {BuildSwitch} " +
        "(Microsoft.ML.OnnxRuntime.Gpu.Linux; needs CUDA 13, cuDNN 9 and a driver) to use it. The CPU provider works: use --provider cpu.";

    /// <summary>The libraries of <paramref name="required"/> that <paramref name="tryLoad"/> cannot load, in order.</summary>
    public static IReadOnlyList<string> Missing(IEnumerable<string> required, Func<string, bool> tryLoad) =>
        required.Where(name => !tryLoad(name)).ToList();

    /// <summary>One line naming the missing libraries; null when none is missing.</summary>
    public static string? MissingLibrariesMessage(IReadOnlyList<string> missing) =>
        missing.Count == 0
            ? null
            : $"The CUDA execution provider cannot start: {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} not found " +
              "(it needs CUDA 13, cuDNN 9 and a GPU driver on the library path). The CPU provider works: use --provider cpu.";

    /// <summary>Appends CUDA on <paramref name="deviceId"/> or throws <see cref="ExecutionProviderUnavailableException"/> saying why it cannot.</summary>
    public static void Append(SessionOptions options, int deviceId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        if (!IsCudaBuild) throw new ExecutionProviderUnavailableException(CpuBuildMessage);
        if (MissingLibrariesMessage(Missing(RequiredLibraries, CanLoad)) is { } message)
            throw new ExecutionProviderUnavailableException(message);
        try
        {
            options.AppendExecutionProvider_CUDA(deviceId);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ExecutionProviderUnavailableException(
                $"The CUDA execution provider did not start on device {deviceId} ({e.Message.Trim()}). The CPU provider works: use --provider cpu.", e);
        }
    }

    private static bool CanLoad(string library)
    {
        if (!NativeLibrary.TryLoad(library, out nint handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }
}
