using System.Diagnostics;
using System.Text.RegularExpressions;
using BitOnnx.TestSupport;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// The documented way to get the bitonnx tool (docs/dotnet-tool.md), run as a user would in a fresh clone:
/// ./tools/pack-tool.sh, dotnet tool restore, dotnet tool run bitonnx. It clones the commit this checkout is on,
/// so it checks committed state only (uncommitted changes are not in the clone).
/// </summary>
[TestClass]
public sealed class DotnetToolSequenceTests
{
    [TestMethod]
    [TestCategory("slow")]
    public void PackRestoreAndRunTheToolInAFreshClone()
    {
        string root = RepositoryRoot.Path;
        string work = CliProcess.TempFolder();
        string clone = Path.Combine(work, "clone");
        string run = Path.Combine(work, "run");
        Directory.CreateDirectory(work);
        var environment = FreshUserEnvironment(work);

        string commit = Step(root, environment, TimeSpan.FromMinutes(1), "git", "-c", $"safe.directory={root}", "rev-parse", "HEAD").Out.Trim();
        if (Step(root, environment, TimeSpan.FromMinutes(1), "git", "-c", $"safe.directory={root}", "status", "--porcelain").Out.Length > 0)
            Console.WriteLine($"note: {root} has uncommitted changes; this test checks commit {commit} only.");
        Step(work, environment, TimeSpan.FromMinutes(2), "git", "-c", $"safe.directory={root}", "clone", "--quiet", "--local", "--no-hardlinks", "--no-checkout", root, clone);
        Step(clone, environment, TimeSpan.FromMinutes(1), "git", "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit);

        Step(clone, environment, TimeSpan.FromMinutes(10), Path.Combine(clone, "tools", "pack-tool.sh"));
        Step(clone, environment, TimeSpan.FromMinutes(3), "dotnet", "tool", "restore");

        // `dotnet tool run` answers a bare --help itself; the tool's own help comes after `--`.
        var help = Step(clone, environment, TimeSpan.FromMinutes(1), "dotnet", "tool", "run", "bitonnx", "--", "--help");
        Assert.IsTrue(Regex.IsMatch(help.Out, @"^\s+train\s+\S", RegexOptions.Multiline),
            $"bitonnx --help does not list the train command:\n{help.Out}");

        var train = Step(clone, environment, TimeSpan.FromMinutes(3), "dotnet", "tool", "run", "bitonnx", "train",
            "--p", "5", "--d-model", "8", "--n-heads", "2", "--d-mlp", "16", "--epochs", "3", "--out", run);
        Assert.IsTrue(File.Exists(Path.Combine(run, "model.safetensors")),
            $"bitonnx train exited 0 but wrote no {Path.Combine(run, "model.safetensors")}:\n{train.Out}\n{train.Error}");

        // The restored tool (not the clone's build output) carries ONNX Runtime's native library and runs a model on it.
        string toolFolder = RestoredToolFolder(environment["NUGET_PACKAGES"]!);
        string packagedLibrary = Path.Combine(toolFolder, "runtimes", "linux-x64", "native", "libonnxruntime.so");
        Assert.IsTrue(File.Exists(packagedLibrary), $"the tool package has no {packagedLibrary}");
        string onnx = Path.Combine(work, "model.onnx");
        Step(clone, environment, TimeSpan.FromMinutes(1), "dotnet", "tool", "run", "bitonnx", "export", Path.Combine(run, "model.safetensors"), "--output", onnx);
        var predict = Step(clone, environment, TimeSpan.FromMinutes(1), "dotnet", "tool", "run", "bitonnx", "predict", onnx, "--all");
        StringAssert.Contains(predict.Out, "accuracy over all 25 pairs", "the packaged tool ran the model on ONNX Runtime");

        Directory.Delete(work, recursive: true); // about 300 MB; kept when a step fails, for a look
    }

    /// <summary>
    /// The environment of a new user of this machine: own NuGet global packages folder and dotnet CLI home (tool
    /// resolver cache, NuGet http cache), so the test neither reuses nor replaces this user's restored bitonnx.cli.
    /// HOME stays.
    /// </summary>
    private static Dictionary<string, string?> FreshUserEnvironment(string work)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            string key = (string)entry.Key;
            // Set by the `dotnet test` that started us; the clone's own build must find its MSBuild by itself.
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)) continue;
            environment[key] = (string?)entry.Value;
        }

        environment["NUGET_PACKAGES"] = Path.Combine(work, "nuget-packages");
        environment["DOTNET_CLI_HOME"] = Path.Combine(work, "dotnet-home");
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // No MSBuild worker nodes outliving the build (they would keep our output pipes open).
        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["NO_COLOR"] = "1";
        return environment;
    }

    /// <summary>The one version of bitonnx.cli that `dotnet tool restore` extracted into the fresh packages folder.</summary>
    private static string RestoredToolFolder(string nugetPackages)
    {
        string[] versions = Directory.GetDirectories(Path.Combine(nugetPackages, "bitonnx.cli"));
        Assert.AreEqual(1, versions.Length, $"expected one restored bitonnx.cli version, found: {string.Join(", ", versions)}");
        return Path.Combine(versions[0], "tools", "net10.0", "any");
    }

    private sealed record StepResult(string Out, string Error);

    private static StepResult Step(string workingDirectory, Dictionary<string, string?> environment, TimeSpan limit, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Clear();
        foreach (var (key, value) in environment) start.Environment[key] = value;

        string command = string.Join(' ', [file, .. args]);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new AssertFailedException($"could not start: {command}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{command}` (in {workingDirectory}) did not finish within {limit.TotalMinutes} min.");
        }

        // A helper process that outlives the command could hold the pipes open; do not wait on it forever.
        Task.WaitAll([output, error], TimeSpan.FromSeconds(30));
        string stdout = output.IsCompletedSuccessfully ? output.Result : "(output still open)";
        string stderr = error.IsCompletedSuccessfully ? error.Result : "(error output still open)";
        Console.WriteLine($"{watch.Elapsed.TotalSeconds,6:F1} s  {command}");
        Assert.AreEqual(0, process.ExitCode,
            $"`{command}` (in {workingDirectory}) failed with exit code {process.ExitCode}.\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        return new StepResult(stdout, stderr);
    }
}
