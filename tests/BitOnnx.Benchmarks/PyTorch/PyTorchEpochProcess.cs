using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using BitOnnx.TestSupport;

namespace BitOnnx.Benchmarks.PyTorch;

/// <summary>
/// tools/pytorch-epoch.py kept running in a child process, one recipe epoch per request, so that a benchmark in this
/// process can time PyTorch's epoch beside the engine's in the same run. The child's kernels follow .NET's: with
/// .NET's AVX-512 paths off it is told to use AVX2 too, so one switch turns a run into the AVX2 comparison.
/// </summary>
public sealed class PyTorchEpochProcess : IDisposable
{
    private const string InstallHint =
        "install PyTorch (Debian 12: apt-get install python3-torch libopenblas0-pthread) or set BITONNX_PYTHON to a Python that has it";

    private readonly Process _process;
    private readonly StandardErrorTail _errors;

    /// <summary>What the child reported it runs: torch version, ATen's kernel level and OpenBLAS's kernel family.</summary>
    public string Description { get; }

    private PyTorchEpochProcess(Process process, StandardErrorTail errors, string description)
    {
        _process = process;
        _errors = errors;
        Description = description;
    }

    /// <summary>
    /// Starts the child for one model (for example "li2024-binary") in one of the script's styles ("originals" or
    /// "last-position") and waits until it has built it.
    /// </summary>
    public static PyTorchEpochProcess Start(string model, string style, int threads)
    {
        var script = Path.Combine(RepositoryRoot.Path, "tools", "pytorch-epoch.py");
        var failures = new List<string>();
        foreach (var python in PythonCandidates())
        {
            var process = TryStart(python, [script, "--model", model, "--style", style, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--serve"], out var failure);
            if (process is not null) return process;
            failures.Add($"{python}: {failure}");
        }
        throw new InvalidOperationException($"No Python with PyTorch could run {script} ({string.Join("; ", failures)}); {InstallHint}.");
    }

    /// <summary>Runs one epoch in the child and returns its training loss.</summary>
    public double RunEpoch()
    {
        _process.StandardInput.WriteLine("epoch");
        var answer = _process.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException($"The PyTorch child exited: {_errors.LastLine(_process)}");
        if (!answer.StartsWith("done ", StringComparison.Ordinal))
            throw new InvalidOperationException($"The PyTorch child answered '{answer}' instead of 'done LOSS'.");
        return double.Parse(answer.AsSpan(5), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000)) _process.Kill();
        }
        _process.Dispose();
    }

    /// <summary>BITONNX_PYTHON when set; else python3, then the system's (a pyenv shim can hide Debian's python3-torch).</summary>
    private static IEnumerable<string> PythonCandidates() =>
        Environment.GetEnvironmentVariable("BITONNX_PYTHON") is { Length: > 0 } chosen ? [chosen] : ["python3", "/usr/bin/python3"];

    private static PyTorchEpochProcess? TryStart(string python, string[] arguments, out string failure)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        MatchDotnetKernels(start.Environment);

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            failure = e.Message;
            return null;
        }
        var errors = new StandardErrorTail(process);
        var ready = process.StandardOutput.ReadLine();
        if (ready is not null && ready.StartsWith("ready ", StringComparison.Ordinal))
        {
            failure = "";
            return new PyTorchEpochProcess(process, errors, ready["ready ".Length..]);
        }
        failure = errors.LastLine(process);
        process.Dispose();
        return null;
    }

    /// <summary>
    /// Gives PyTorch the vector width .NET runs at, unless the caller chose: AVX2 kernels in ATen, oneDNN and OpenBLAS
    /// when .NET's AVX-512 paths are off. With them on, OpenBLAS is pointed at its AVX-512 kernels, because Debian 12's
    /// OpenBLAS 0.3.21 takes a Sapphire Rapids core for a Prescott and runs SSE3 code (24 GFLOP/s instead of 74 on a
    /// 3,831 × 128 × 512 product here).
    /// </summary>
    private static void MatchDotnetKernels(IDictionary<string, string?> environment)
    {
        void Default(string name, string value) => environment.TryAdd(name, value);
        if (Vector512.IsHardwareAccelerated)
        {
            Default("OPENBLAS_CORETYPE", "SkylakeX");
            return;
        }
        Default("OPENBLAS_CORETYPE", "Haswell");
        Default("ATEN_CPU_CAPABILITY", "avx2");
        Default("DNNL_MAX_CPU_ISA", "AVX2");
    }

    /// <summary>Drains the child's stderr as it comes (a full pipe would stall it) and keeps the last line for errors.</summary>
    private sealed class StandardErrorTail
    {
        private volatile string _last = "";

        public StandardErrorTail(Process process)
        {
            process.ErrorDataReceived += (_, e) =>
            {
                if (!string.IsNullOrWhiteSpace(e.Data)) _last = e.Data.Trim();
            };
            process.BeginErrorReadLine();
        }

        public string LastLine(Process process)
        {
            process.WaitForExit();
            return _last.Length > 0 ? _last : $"exited with code {process.ExitCode}";
        }
    }
}
