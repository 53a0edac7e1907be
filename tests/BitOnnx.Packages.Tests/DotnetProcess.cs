using System.Diagnostics;

namespace BitOnnx.Packages.Tests;

/// <summary>
/// Runs a command as a user would, in an environment of their own: no MSBuild variables inherited from the `dotnet
/// test` that started us, no MSBuild nodes left running to hold our output pipes open, and, for a user outside the
/// repository, a fresh NuGet global packages folder (nothing restored before, so no stale copy of a re-packed version).
/// </summary>
public static class DotnetProcess
{
    /// <param name="nugetPackages">The NuGet global packages folder; null keeps this user's.</param>
    public static Dictionary<string, string?> UserEnvironment(string? nugetPackages)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("DOTNET_HOST_PATH", StringComparison.Ordinal)) continue;
            environment[key] = (string?)entry.Value;
        }
        if (nugetPackages is not null) environment["NUGET_PACKAGES"] = nugetPackages;
        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["NO_COLOR"] = "1";
        return environment;
    }

    /// <summary>Runs <paramref name="file"/>; fails the test, with its output, on a non-zero exit or past <paramref name="limit"/>.</summary>
    public static string Run(string folder, Dictionary<string, string?> environment, TimeSpan limit, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Clear();
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var command = string.Join(' ', [file, .. args]);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new AssertFailedException($"could not start: {command}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{command}` (in {folder}) did not finish within {limit.TotalMinutes} min.");
        }
        // A helper process that outlives the command could hold the pipes open; do not wait on it forever.
        Task.WaitAll([output, error], TimeSpan.FromSeconds(30));
        var stdout = output.IsCompletedSuccessfully ? output.Result : "(output still open)";
        var stderr = error.IsCompletedSuccessfully ? error.Result : "(error output still open)";
        Console.WriteLine($"{watch.Elapsed.TotalSeconds,6:F1} s  {command}");
        Assert.AreEqual(0, process.ExitCode, $"`{command}` (in {folder}) failed with exit code {process.ExitCode}.\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        return stdout;
    }
}
