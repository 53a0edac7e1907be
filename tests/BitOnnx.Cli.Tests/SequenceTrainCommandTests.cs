using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace BitOnnx.Cli.Tests;

/// <summary>`bitonnx train --task addN|subN|mixN` through the real command line.</summary>
[TestClass]
public sealed class SequenceTrainCommandTests
{
    private static readonly string[] Tiny = ["--task", "add2", "--d-model", "16", "--heads", "2", "--layers", "1", "--batch", "32"];

    [TestMethod]
    public void TrainsATinyArithmeticModelAndShowsItsAccuracy()
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run(["train", .. Tiny, "--steps", "20", "--log-every", "10", "--eval-questions", "30", "-o", run]);
        Assert.AreEqual(0, r.ExitCode, r.Error);
        foreach (var file in new[] { "model.safetensors", "metrics.csv", "config.json", "eval.json", "README.md" })
            Assert.IsTrue(File.Exists(Path.Combine(run, file)), file);
        CollectionAssert.AreEqual(new[] { "step", "0", "10", "19" }, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Select(l => l.Split(',')[0]).ToArray());
        StringAssert.Contains(r.Out, "30 fresh uniform questions:");
        StringAssert.Contains(r.Out, "95% Clopper-Pearson interval");
        StringAssert.Contains(r.Out, "99+01");
        StringAssert.Contains(r.Out, "+100");
        StringAssert.Contains(File.ReadAllText(Path.Combine(run, "README.md")), "bitonnx train --task add2 --d-model 16 --n-heads 2 --n-layers 1 --steps 20 --batch 32 --log-every 10 --eval-questions 30 --out ");
    }

    [TestMethod]
    [DataRow("--p 31", "error: --p is an option of modular-addition, not of arithmetic task add5")]
    [DataRow("--epochs 10", "error: --epochs is an option of modular-addition, not of arithmetic task add5")]
    [DataRow("--task foo", "error: --task 'foo' is not a task; the task is modular-addition, or add, sub or mix followed by the digits per operand, as add5.")]
    [DataRow("--d-model 30 --heads 4", "n_heads (4) must divide d_model (30)")]
    [DataRow("--backend gpu", "error: --backend 'gpu' is not a choice; the backend is engine or torchsharp.")]
    [DataRow("--enrichment lots", "error: --enrichment 'lots' is not a choice; the enrichment is quirke2024 or none.")]
    public void EachBadOptionOfAnArithmeticTaskIsOneErrorLine(string options, string message)
    {
        var run = CliProcess.TempFolder();
        var words = options.Split(' ');
        string[] args = words[0] == "--task" ? ["train", .. words, "--out", run] : ["train", "--task", "add5", .. words, "--out", run];
        var r = CliProcess.Run(args);
        Assert.AreEqual(2, r.ExitCode, r.Error);
        var lines = r.Error.Trim().Split('\n');
        Assert.AreEqual(1, lines.Length, r.Error);
        StringAssert.StartsWith(lines[0], "error: ");
        StringAssert.Contains(lines[0], message);
        Assert.IsFalse(Directory.Exists(run), "nothing written");
    }

    [TestMethod]
    public void AnOptionOnlyArithmeticTakesIsOneErrorLineForModularAddition()
    {
        var run = CliProcess.TempFolder();
        var r = CliProcess.Run("train", "--p", "7", "--steps", "10", "--out", run);
        Assert.AreEqual(2, r.ExitCode, r.Error);
        Assert.AreEqual("error: --steps is an option of arithmetic tasks, not of modular-addition; leave it out, or give --task add5 (or another addN, subN, mixN).", r.Error.Trim());
    }

    [TestMethod]
    public void HelpListsTheTasksAndTheirOptions()
    {
        var r = CliProcess.Run("train", "--help");
        Assert.AreEqual(0, r.ExitCode, r.Error);
        foreach (var text in new[] { "--task", "modular-addition|addN|subN|mixN", "--steps", "--batch", "--enrichment", "--eval-questions", "Arithmetic tasks", "--heads", "--layers" })
            StringAssert.Contains(r.Out, text);
    }

    /// <summary>Ctrl-C (SIGINT) saves the resume state and prints the command that continues; that command finishes the run.</summary>
    [TestMethod]
    public void CtrlCSavesAResumableRunAndSaysHowToResume()
    {
        if (File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) is { } ignored
            && (Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & (1UL << 1)) != 0)
            Assert.Inconclusive("SIGINT is ignored in this process, so the trainer it starts cannot receive Ctrl-C; run the tests from a terminal or with job control.");
        var run = CliProcess.TempFolder();
        string[] args = ["train", .. Tiny, "--steps", "100000", "--log-every", "10", "--eval-questions", "10", "--out", run];
        using var running = CliProcess.Start(null, args);
        var metrics = Path.Combine(run, "metrics.csv");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && (!File.Exists(metrics) || File.ReadAllLines(metrics).Length < 4)) Thread.Sleep(50);
        Process.Start("kill", ["-INT", running.Process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        var r = running.Wait(TimeSpan.FromSeconds(60));
        Assert.AreEqual(130, r.ExitCode, r.Error);
        var said = Regex.Match(r.Out.Replace("\n", " "), @"Interrupted at step (\d+) of 100000");
        Assert.IsTrue(said.Success, r.Out);
        StringAssert.Contains(r.Out, "--resume");
        Assert.IsTrue(File.Exists(Path.Combine(run, "resume.safetensors")));
        Assert.IsFalse(File.Exists(Path.Combine(run, "eval.json")), "an unfinished run is not evaluated");
    }
}
