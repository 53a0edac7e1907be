using System.Diagnostics;
using BitOnnx.TestSupport;

namespace BitOnnx.Cli.Tests;

/// <summary>Runs the built bitonnx as a separate process, as a user would, and captures what it prints.</summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args) => Run(null, args);

    /// <summary>Runs bitonnx with extra environment variables (null for none).</summary>
    public static Result Run(IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        using var running = Start(environment, args);
        return running.Wait(TimeSpan.FromMinutes(5));
    }

    /// <summary>Starts bitonnx and returns at once; its output is read as it comes, so a full pipe never blocks it.</summary>
    public static Running Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bitonnx.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return new Running(process, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync(), args);
    }

    /// <summary>A bitonnx process started by <see cref="Start"/>.</summary>
    public sealed class Running(Process process, Task<string> output, Task<string> error, string[] args) : IDisposable
    {
        public Process Process { get; } = process;

        public Result Wait(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout))
            {
                Process.Kill(true);
                Assert.Fail($"bitonnx {string.Join(' ', args)} timed out");
            }
            return new Result(Process.ExitCode, output.Result, error.Result);
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(true);
            Process.Dispose();
        }
    }

    /// <summary>A fresh path for a run's output, not created: bitonnx creates its --out folders itself.</summary>
    public static string TempFolder() => TempDir.NewPath("bitonnx-cli-tests");
}
