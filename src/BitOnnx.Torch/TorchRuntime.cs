using BitOnnx.Core;
using BitOnnx.Torch.NativeFixup;

namespace BitOnnx.Torch;

/// <summary>TorchSharp's native libraries could not be loaded; the message names what is missing.</summary>
public sealed class TorchUnavailableException(string message, Exception inner) : BitOnnxException(message, inner);

/// <summary>
/// Loads TorchSharp once and turns its load failures into one sentence that names the real cause. TorchSharp's own
/// message blames a missing libtorch-cpu-linux-x64 package reference whatever went wrong, which on Debian 12 hides that
/// libLibTorchSharp.so wants a newer libstdc++ (see NativeFixup/).
/// </summary>
public static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Throws <see cref="TorchUnavailableException"/> when TorchSharp cannot run here; cheap after the first call.</summary>
    public static void EnsureAvailable()
    {
        if (LoadFailure.Value is { } failure) throw failure;
    }

    public static bool IsAvailable => LoadFailure.Value is null;

    /// <summary>Sets libtorch's intra-op thread count (process-wide).</summary>
    public static void SetThreads(int threads)
    {
        EnsureAvailable();
        TorchSharp.torch.set_num_threads(threads);
    }

    private static Exception? TryLoad()
    {
        PreferPassiveOpenMpWaits();
        try
        {
            using var probe = TorchSharp.torch.zeros(1);
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException)
        {
            return new TorchUnavailableException(Explain(AppContext.BaseDirectory), e);
        }
    }

    /// <summary>
    /// libtorch's OpenMP threads spin while they wait for work by default. On a machine whose cores are shared (CI, or
    /// several jobs on 2 cores) a spinning thread that lost its core stalls every parallel region: measured at 2 threads
    /// and a load of ~40, one P = 113 epoch took 860 ms of CPU with spinning and 96 ms with passive waits. libgomp reads
    /// OMP_WAIT_POLICY once, when libtorch is loaded, and from the C environment, which .NET's
    /// Environment.SetEnvironmentVariable does not change; hence libc's setenv, before the first tensor. A value the
    /// user set is kept.
    /// </summary>
    private static void PreferPassiveOpenMpWaits()
    {
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
            _ = SetEnvironment("OMP_WAIT_POLICY", "PASSIVE", 0);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnvironment(string name, string value, int overwrite);

    /// <summary>What is missing in <paramref name="baseDirectory"/>, the folder the application runs from.</summary>
    internal static string Explain(string baseDirectory)
    {
        string[] folders = [baseDirectory, Path.Combine(baseDirectory, "runtimes", "linux-x64", "native")];
        string? Find(string name) => folders.Select(f => Path.Combine(f, name)).FirstOrDefault(File.Exists);
        var libTorch = Find("libtorch_cpu.so");
        var bridge = Find(LibTorchSharpFixup.LibraryName);
        if (!OperatingSystem.IsLinux())
            return "The TorchSharp backend needs linux-x64 (libtorch CPU for Linux is what this build ships); use --backend engine.";
        if (bridge is null)
            return $"The TorchSharp backend is unavailable: {LibTorchSharpFixup.LibraryName} is missing from {baseDirectory} (rebuild the project that references BitOnnx.Torch); use --backend engine meanwhile.";
        if (libTorch is null)
            return $"The TorchSharp backend is unavailable: libtorch (libtorch_cpu.so, package libtorch-cpu-linux-x64) is missing from {baseDirectory}; rebuild or reinstall so that it is copied there, or use --backend engine.";
        var host = LibTorchSharpFixup.FindHostLibStdCxx();
        try
        {
            var hostHasVersion = host is not null && LibTorchSharpFixup.Provides(host);
            var weak = ElfVersions.MarkNeededVersionWeak(File.ReadAllBytes(bridge), LibTorchSharpFixup.MissingVersion) != WeakMarking.Marked;
            if (!hostHasVersion && !weak)
                return $"The TorchSharp backend is unavailable: {bridge} needs {LibTorchSharpFixup.MissingVersion}, which {host ?? "this system's libstdc++"} lacks, and the build's fix-up was not applied to it; rebuild with the repository's Directory.Build.targets, or use --backend engine.";
        }
        catch (ElfFormatException e)
        {
            return $"The TorchSharp backend is unavailable: {bridge} is not a valid shared library ({e.Message}); rebuild, or use --backend engine.";
        }
        return $"The TorchSharp backend is unavailable: {bridge} or libtorch beside it failed to load (run `ldd {bridge}` to see which library is missing); use --backend engine.";
    }
}
