using BitOnnx.Runtime.Native;

namespace BitOnnx.Runtime;

/// <summary>Which ONNX Runtime this process uses: version, library path, execution providers compiled in.</summary>
public static class OnnxRuntimeInfo
{
    /// <summary>The environment variable that overrides where libonnxruntime.so.1 is loaded from.</summary>
    public const string LibraryPathVariable = OrtLibrary.LibraryPathVariable;

    /// <summary>ORT's version string, e.g. "1.30.0". Loads the library.</summary>
    public static string Version => OrtLibrary.Version;

    public static string LibraryPath => OrtLibrary.Path;

    /// <summary>
    /// Providers compiled into the library, e.g. CUDAExecutionProvider, CPUExecutionProvider. Compiled in is not
    /// the same as usable: CUDA also needs its provider libraries beside ORT (see <see cref="IsProviderLibraryPresent"/>).
    /// </summary>
    public static IReadOnlyList<string> GetAvailableProviders() => OrtApi.GetAvailableProviders();

    /// <summary>Whether a provider's shared library (e.g. libonnxruntime_providers_cuda.so) sits beside ORT's.</summary>
    public static bool IsProviderLibraryPresent(string fileName) =>
        File.Exists(Path.Combine(Path.GetDirectoryName(LibraryPath) ?? ".", fileName));
}
