using System.Diagnostics;
using System.Globalization;

namespace BitOnnx.Cli.Tests;

/// <summary><c>bitonnx train --backend engine|torchsharp</c>: the same run folder from either, and one line when libtorch is missing.</summary>
[TestClass]
public sealed class TrainBackendTests
{
    private static readonly string[] Small = ["--p", "23", "--quant", "ternary", "--epochs", "5", "--log-every", "1", "--threads", "1"];

    [TestMethod]
    public void BothBackendsWriteTheSameFilesAndTheSameFirstEpochLoss()
    {
        var engine = CliProcess.TempFolder();
        var torch = CliProcess.TempFolder();
        var e = CliProcess.Run(["train", .. Small, "--backend", "engine", "--out", engine]);
        var t = CliProcess.Run(["train", .. Small, "--backend", "torchsharp", "--out", torch]);
        Assert.AreEqual(0, e.ExitCode, e.Error);
        Assert.AreEqual(0, t.ExitCode, t.Error);
        CollectionAssert.AreEqual(Files(engine), Files(torch));
        CollectionAssert.AreEqual(File.ReadAllLines(Path.Combine(engine, "split.json")), File.ReadAllLines(Path.Combine(torch, "split.json")));
        var (first, second) = (TrainLoss(engine, 1), TrainLoss(torch, 1));
        Assert.AreEqual(first, second, 1e-4 * first, "first-epoch train loss, from the same seed");
    }

    /// <summary>
    /// Fully quantized (W_E and W_U too) trains on TorchSharp as on the engine: the same first-epoch loss from the same
    /// seed, and losses within the backends' float32 drift for five epochs (TrainingEquivalenceTests bounds it).
    /// </summary>
    [TestMethod]
    [DataRow("ternary", "none")]
    [DataRow("binary", "absmean")]
    public void BothBackendsTrainTheFullyQuantizedModelAlike(string quant, string scale)
    {
        string[] all = ["--p", "23", "--quant", quant, "--binary-scale", scale, "--quant-scope", "all", "--epochs", "5", "--log-every", "1", "--threads", "1"];
        var engine = CliProcess.TempFolder();
        var torch = CliProcess.TempFolder();
        var e = CliProcess.Run(["train", .. all, "--backend", "engine", "--out", engine]);
        var t = CliProcess.Run(["train", .. all, "--backend", "torchsharp", "--out", torch]);
        Assert.AreEqual(0, e.ExitCode, e.Error);
        Assert.AreEqual(0, t.ExitCode, t.Error);
        Assert.AreEqual(TrainLoss(engine, 1), TrainLoss(torch, 1), 1e-6 * TrainLoss(engine, 1), "first epoch, from identical weights");
        for (var epoch = 2; epoch <= 5; epoch++)
            Assert.AreEqual(TrainLoss(engine, epoch), TrainLoss(torch, epoch), 2e-3 * TrainLoss(engine, epoch), $"epoch {epoch}");
    }

    [TestMethod]
    public void HelpSaysTheEngineIsTheFasterDefault()
    {
        var r = CliProcess.Run("train", "--help");
        StringAssert.Contains(r.Out, "--backend");
        StringAssert.Contains(r.Out, "torchsharp");
        StringAssert.Contains(r.Out, "the default");
        StringAssert.Contains(r.Out, "faster");
    }

    /// <summary>
    /// A copy of the CLI without TorchSharp's native libraries (and without a NuGet cache for TorchSharp's fallback
    /// to find them in): --backend torchsharp fails in one line naming the library, before writing anything, and
    /// --backend engine still trains.
    /// </summary>
    [TestMethod]
    public void WithoutLibtorchTheTorchSharpBackendFailsInOneLineAndTheEngineStillWorks()
    {
        var copy = CliProcess.TempFolder();
        var home = CliProcess.TempFolder();
        Directory.CreateDirectory(home);
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(AppContext.BaseDirectory, file);
            if (relative.StartsWith("runtimes", StringComparison.Ordinal) || relative.StartsWith("cpu", StringComparison.Ordinal)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(copy, relative))!);
            File.Copy(file, Path.Combine(copy, relative));
        }
        try
        {
            var run = CliProcess.TempFolder();
            var failed = Run(copy, home, ["train", .. Small, "--backend", "torchsharp", "--out", run]);
            Assert.AreNotEqual(0, failed.ExitCode);
            Assert.AreEqual(1, failed.Error.Trim().Split('\n').Length, $"one line, no stack trace: {failed.Error}");
            StringAssert.StartsWith(failed.Error, "error: ");
            StringAssert.Contains(failed.Error, "libLibTorchSharp.so is missing");
            Assert.IsFalse(Directory.Exists(run) && Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories).Any(), "no partial files");

            var works = Run(copy, home, ["train", .. Small, "--backend", "engine", "--out", CliProcess.TempFolder()]);
            Assert.AreEqual(0, works.ExitCode, works.Error);
        }
        finally
        {
            Directory.Delete(copy, true);
            Directory.Delete(home, true);
        }
    }

    private static string[] Files(string run) =>
        Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(run, f)).Order().ToArray();

    private static double TrainLoss(string run, int epoch) =>
        double.Parse(File.ReadAllLines(Path.Combine(run, "metrics.csv")).Single(l => l.StartsWith($"{epoch},", StringComparison.Ordinal)).Split(',')[1],
            CultureInfo.InvariantCulture);

    private static CliProcess.Result Run(string folder, string home, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(folder, "bitonnx.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        start.Environment["HOME"] = home;
        start.Environment["NUGET_PACKAGES"] = Path.Combine(home, "packages");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(true); Assert.Fail("bitonnx timed out"); }
        return new CliProcess.Result(process.ExitCode, output.Result, error.Result);
    }
}
