using System.Diagnostics;

namespace BitOnnx.Cli.Tests;

/// <summary>Runs the built bitonnx as a separate process, as a user would, and captures what it prints.</summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args) => Run(null, args);

    /// <summary>Runs bitonnx with extra environment variables (null for none).</summary>
    public static Result Run(IReadOnlyDictionary<string, string>? environment, string[] args)
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
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(true); Assert.Fail($"bitonnx {string.Join(' ', args)} timed out"); }
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The checkout the tests run from: the first folder above the test binaries that holds BitOnnx.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "BitOnnx.sln"))) return folder.FullName;
        }

        throw new AssertFailedException($"no BitOnnx.sln in {AppContext.BaseDirectory} or any folder above it");
    }

    public static string TempFolder() => Path.Combine(Path.GetTempPath(), "bitonnx-cli-tests", Guid.NewGuid().ToString("N"));
}
