using System.Runtime.InteropServices;

namespace BitOnnx.Runtime.Native;

/// <summary>
/// Finds and loads ONNX Runtime's shared library and fetches its C API table (OrtGetApiBase -> GetApi).
/// Search order: the file named by BITONNX_ONNXRUNTIME_LIBRARY, then libonnxruntime.so.1 beside this assembly
/// (the build puts it there), then beside the application.
/// </summary>
internal static unsafe class OrtLibrary
{
    public const string LibraryFileName = "libonnxruntime.so.1";

    public const string LibraryPathVariable = "BITONNX_ONNXRUNTIME_LIBRARY";

    /// <summary>
    /// The C API version we ask for. OrtApi only grows by appending, so any library at or above this version serves
    /// every slot we call; 1.30 (the one the build fetches) supports 1..30.
    /// </summary>
    public const uint ApiVersion = 20;

    private static readonly Lazy<Loaded> Instance = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private static nint table;

    /// <summary>The OrtApi function-pointer table; loads the library on first use.</summary>
    public static void** Table
    {
        get
        {
            nint t = Volatile.Read(ref table);
            return t != 0 ? (void**)t : (void**)Instance.Value.Api;
        }
    }

    public static string Path => Instance.Value.Path;

    public static string Version => Instance.Value.Version;

    public static nint Handle => Instance.Value.Handle;

    private static Loaded Load()
    {
        string path = Locate();
        nint handle;
        try
        {
            handle = NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException(
                $"Could not load ONNX Runtime from '{path}': {e.Message}. It needs glibc 2.28 or newer on Linux x64.", e);
        }

        if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out nint getApiBaseAddress))
        {
            throw new EntryPointNotFoundException($"'{path}' is not ONNX Runtime: it exports no OrtGetApiBase.");
        }

        var getApiBase = (delegate* unmanaged<nint*>)getApiBaseAddress;
        nint* apiBase = getApiBase();
        var getApi = (delegate* unmanaged<uint, nint>)apiBase[0];
        var getVersionString = (delegate* unmanaged<byte*>)apiBase[1];
        string version = Marshal.PtrToStringUTF8((nint)getVersionString()) ?? "unknown";
        nint api = getApi(ApiVersion);
        if (api == 0)
        {
            throw new NotSupportedException(
                $"ONNX Runtime {version} at '{path}' does not offer C API version {ApiVersion}; BitOnnx needs ONNX Runtime 1.20 or newer.");
        }

        Volatile.Write(ref table, api);
        return new Loaded(handle, api, path, version);
    }

    private static string Locate()
    {
        string? overridePath = Environment.GetEnvironmentVariable(LibraryPathVariable);
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            if (!File.Exists(overridePath))
            {
                throw new DllNotFoundException($"{LibraryPathVariable} names '{overridePath}', but no file is there.");
            }

            return System.IO.Path.GetFullPath(overridePath);
        }

        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException(
                $"BitOnnx.Runtime ships ONNX Runtime for Linux x64 only; this is {RuntimeInformation.OSDescription} " +
                $"({RuntimeInformation.ProcessArchitecture}). On another Linux, set {LibraryPathVariable} to an ONNX Runtime " +
                "1.20+ shared library built for it.");
        }

        var candidates = new List<string>();
        string? assemblyDirectory = System.IO.Path.GetDirectoryName(typeof(OrtLibrary).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDirectory)) candidates.Add(System.IO.Path.Combine(assemblyDirectory, LibraryFileName));
        candidates.Add(System.IO.Path.Combine(AppContext.BaseDirectory, LibraryFileName));
        foreach (string candidate in candidates)
        {
            if (File.Exists(candidate)) return candidate;
        }

        throw new DllNotFoundException(
            $"ONNX Runtime's {LibraryFileName} was not found (looked in: {string.Join(", ", candidates.Distinct())}). " +
            "Building a project that references BitOnnx.Runtime fetches it and copies it there; rebuild, " +
            $"or set {LibraryPathVariable} to its path.");
    }

    private sealed record Loaded(nint Handle, nint Api, string Path, string Version);
}
