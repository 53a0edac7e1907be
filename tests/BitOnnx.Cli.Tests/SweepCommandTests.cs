using System.Globalization;
using System.Security.Cryptography;
using BitOnnx.Pipelines.Sweep;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// `bitonnx sweep` as users and schedulers run it, with CI-sized cells (P = 7 to 13, d_model 16 to 32, one thread):
/// the same table from separate --index processes as from --jobs, a killed cell that resumes to the bytes of an
/// uninterrupted one while a second worker leaves it alone, a failed cell reported while the others finish.
/// </summary>
[TestClass]
public sealed class SweepCommandTests
{
    private const string Tiny = "--p 11 --d-model 16 --n-heads 2 --d-mlp 32 --epochs 40 --log-every 10 --threads 1";
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Four cells as four `--index` processes, two at a time, into one folder, then `--collect`: the same table.tsv and
    /// table.md, byte for byte, as `--jobs 2`; and each row says what the cell's own metrics.csv says.
    /// </summary>
    [TestMethod]
    public void FourIndexProcessesTwoAtATimeGiveTheTableOfJobsTwo()
    {
        var spec = Spec($$"""{"base": "{{Tiny}}", "grid": {"--quant": ["binary", "ternary"]}, "seeds": [0, 1]}""");
        var jobs = CliProcess.TempFolder();
        var together = CliProcess.Run("sweep", spec, "-o", jobs, "--jobs", "2");
        Assert.AreEqual(0, together.ExitCode, together.Error + together.Out);

        var byIndex = CliProcess.TempFolder();
        foreach (var pair in new[] { (0, 1), (2, 3) })
        {
            using var a = CliProcess.Start(null, "sweep", spec, "-o", byIndex, "--index", pair.Item1.ToString(CultureInfo.InvariantCulture));
            using var b = CliProcess.Start(null, "sweep", spec, "-o", byIndex, "--index", pair.Item2.ToString(CultureInfo.InvariantCulture));
            foreach (var r in new[] { a.Wait(Minute), b.Wait(Minute) }) Assert.AreEqual(0, r.ExitCode, r.Error + r.Out);
        }
        var collect = CliProcess.Run("sweep", spec, "-o", byIndex, "--collect");
        Assert.AreEqual(0, collect.ExitCode, collect.Error);
        StringAssert.Contains(collect.Out, "4 done, 0 failed, 0 pending of 4 cells");

        Assert.AreEqual(File.ReadAllText(Path.Combine(jobs, "table.tsv")), File.ReadAllText(Path.Combine(byIndex, "table.tsv")));
        Assert.AreEqual(File.ReadAllText(Path.Combine(jobs, "table.md")), File.ReadAllText(Path.Combine(byIndex, "table.md")));
        var rows = File.ReadAllLines(Path.Combine(byIndex, "table.tsv")).Skip(1).Select(l => l.Split('\t')).ToArray();
        string[] quant = ["binary", "binary", "ternary", "ternary"];
        for (var i = 0; i < 4; i++)
        {
            var cell = Path.Combine(byIndex, "cells", i.ToString("D4", CultureInfo.InvariantCulture));
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(jobs, "cells", i.ToString("D4", CultureInfo.InvariantCulture), "model.safetensors")),
                File.ReadAllBytes(Path.Combine(cell, "model.safetensors")), $"cell {i}: the same weights either way");
            // The row against the cell's metrics.csv, read here on its own.
            var metrics = File.ReadAllLines(Path.Combine(cell, "metrics.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
            var first99 = metrics.FirstOrDefault(m => double.Parse(m[3], CultureInfo.InvariantCulture) >= 0.99)?[0] ?? "-";
            CollectionAssert.AreEqual(new[] { $"{i}", $"{Tiny} --quant {quant[i]}", $"{i % 2}", "done", "40", metrics[^1][1], metrics[^1][2], metrics[^1][3], first99, "-" }, rows[i]);
        }
    }

    /// <summary>
    /// A worker killed mid-run (SIGKILL, no chance to save) leaves a cell that the next worker resumes, to the same bytes
    /// as a cell that ran uninterrupted; while the first worker holds the cell, a second one leaves it alone.
    /// </summary>
    [TestMethod]
    public void AKilledCellResumesToTheBytesOfAnUninterruptedOneAndASecondWorkerLeavesItAlone()
    {
        // Long enough (about 5 s alone) that the kill lands mid-run: it comes right after the second logged epoch.
        var spec = Spec("""{"base": "--p 13 --d-model 32 --n-heads 4 --d-mlp 64 --epochs 12000 --log-every 100 --threads 1", "seeds": [0]}""");
        var killed = CliProcess.TempFolder();
        var straight = CliProcess.TempFolder();
        using var reference = CliProcess.Start(null, "sweep", spec, "-o", straight, "--index", "0");
        using var first = CliProcess.Start(null, "sweep", spec, "-o", killed, "--index", "0");
        var cell = Path.Combine(killed, "cells", "0000");
        var metrics = Path.Combine(cell, "metrics.csv");
        var deadline = DateTime.UtcNow + Minute;
        while (DateTime.UtcNow < deadline && !first.Process.HasExited && (!File.Exists(metrics) || File.ReadAllLines(metrics).Length < 3)) Thread.Sleep(20);

        var second = CliProcess.Run("sweep", spec, "-o", killed, "--index", "0");
        if (first.Process.HasExited) Assert.Inconclusive("the first worker ended before the second started; the machine is far slower than this test assumes");
        Assert.AreEqual(0, second.ExitCode, second.Error);
        Assert.AreEqual("cell 0 is being run by another worker; left to it", second.Out.Trim());
        first.Process.Kill();
        first.Process.WaitForExit();
        if (File.Exists(Path.Combine(cell, "status.json"))) Assert.Inconclusive("the cell finished before the kill; the machine is far slower than this test assumes");
        var savedAt = File.ReadAllLines(metrics)[^1].Split(',')[0];
        Assert.AreNotEqual("12000", savedAt);

        var resumed = CliProcess.Run("sweep", spec, "-o", killed, "--index", "0");
        Assert.AreEqual(0, resumed.ExitCode, resumed.Error + resumed.Out);
        StringAssert.Contains(resumed.Out, "resuming at epoch ");
        StringAssert.Contains(resumed.Out, "cell 0 done: trained all 12000 epochs");
        var whole = reference.Wait(TimeSpan.FromMinutes(3));
        Assert.AreEqual(0, whole.ExitCode, whole.Error);
        foreach (var file in new[] { "model.safetensors", "resume.safetensors", "metrics.csv", "config.json", "split.json", "stop.json", "status.json", "arguments.txt" })
            Assert.AreEqual(Sha256(Path.Combine(straight, "cells", "0000", file)), Sha256(Path.Combine(cell, file)), file);
    }

    /// <summary>A diverging grid value fails its cells; they are reported, recorded and tabled, and the others finish.</summary>
    [TestMethod]
    public void AFailedCellIsReportedAndTheOthersFinish()
    {
        var spec = Spec("""{"base": "--p 7 --d-model 16 --n-heads 2 --d-mlp 32 --epochs 30 --log-every 10 --threads 1", "grid": {"--lr": ["1e-3", "1e6"]}, "seeds": [0, 1]}""");
        var output = CliProcess.TempFolder();
        var r = CliProcess.Run("sweep", spec, "-o", output, "--jobs", "2");
        Assert.AreEqual(1, r.ExitCode, r.Out);
        var error = r.Error.Trim();
        Assert.AreEqual(1, error.Split('\n').Length, error);
        StringAssert.StartsWith(error, "error: 2 of 4 cells failed: cell 2: Training diverged at epoch ");
        StringAssert.Contains(error, "cell 3: Training diverged");
        StringAssert.Contains(r.Out, "cell 2 failed: Training diverged");
        StringAssert.Contains(r.Out, "2 done, 2 failed, 0 pending of 4 cells");

        var rows = File.ReadAllLines(Path.Combine(output, "table.tsv")).Skip(1).Select(l => l.Split('\t')).ToArray();
        CollectionAssert.AreEqual(new[] { "done", "done", "failed", "failed" }, rows.Select(x => x[3]).ToArray());
        StringAssert.StartsWith(rows[2][9], "Training diverged at epoch ");
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "cells", "0003", "status.json")), "\"state\":\"failed\"");
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "table.md")), "| `--lr 1e6` | 2 | 0 | 2 | 0 | – | – | – | – |");

        var again = CliProcess.Run("sweep", spec, "-o", output, "--index", "2");
        Assert.AreEqual(1, again.ExitCode);
        StringAssert.StartsWith(again.Error.Trim(), "error: cell 2 failed: Training diverged at epoch ");
        var done = CliProcess.Run("sweep", spec, "-o", output, "--index", "0");
        Assert.AreEqual((0, "cell 0 is done (epoch 30)"), (done.ExitCode, done.Out.Trim()));
    }

    /// <summary>A spec whose cells cannot all run is refused in one line before any cell runs: no folder is made.</summary>
    [TestMethod]
    public void ASpecWithACellThatCannotRunRunsNone()
    {
        var spec = Spec("""{"base": "--p 7 --d-model 8 --epochs 5", "grid": {"--n-heads": [2, 3]}, "seeds": [0]}""");
        var output = CliProcess.TempFolder();
        var r = CliProcess.Run("sweep", spec, "-o", output, "--jobs", "2");
        Assert.AreEqual(2, r.ExitCode);
        Assert.AreEqual("error: The sweep's cells cannot all run: cell 1 (--p 7 --d-model 8 --epochs 5 --n-heads 3 --seed 0): Invalid model config: n_heads (3) must divide d_model (8).",
            r.Error.Trim());
        Assert.IsFalse(Directory.Exists(output));
    }

    /// <summary>Each option of `bitonnx sweep` with a bad value: one error line naming it, the value and what is allowed.</summary>
    [TestMethod]
    [DynamicData(nameof(BadValueOfEachOption))]
    public void EveryBadValueOfEverySweepOptionIsOneErrorLine(string option, string value, string expected)
    {
        var spec = Spec($$"""{"base": "{{Tiny}}", "seeds": [0]}""");
        string[] args = option == "--out" ? ["sweep", spec, "-o", value, "--collect"] : ["sweep", spec, "-o", CliProcess.TempFolder(), option, value];
        var r = CliProcess.Run(args);
        Assert.AreEqual(2, r.ExitCode, r.Error);
        Assert.AreEqual("error: " + expected, r.Error.Trim());
    }

    public static IEnumerable<object[]> BadValueOfEachOption()
    {
        var bad = new Dictionary<string, string>
        {
            ["--out"] = "",
            ["--index"] = "-1",
            ["--jobs"] = "0",
            ["--emit"] = "pbs",
            ["--collect"] = "now",
            ["--parallelism"] = "two",
            ["--cli"] = "",
            ["--image"] = "",
            ["--claim"] = "",
        };
        CollectionAssert.AreEquivalent(SweepArguments.Options.Select(o => o.Name).ToList(), bad.Keys.ToList(), "a bad value for every option");
        foreach (var option in SweepArguments.Options)
        {
            yield return [option.Name, bad[option.Name], option.IsFlag
                ? $"'{bad[option.Name]}' is not a command or argument of bitonnx sweep; see `bitonnx sweep --help`."
                : $"{option.Name} '{bad[option.Name]}' {(option.Name is "--parallelism" ? "is not a whole number" : option.Name is "--emit" ? "is not a choice" : bad[option.Name].Length == 0 ? "is empty" : "is out of range")}; {option.Allowed}."];
        }
    }

    [TestMethod]
    public void HelpShowsAnExampleSpecAndEveryOption()
    {
        var r = CliProcess.Run("sweep", "--help");
        Assert.AreEqual(0, r.ExitCode, r.Error);
        StringAssert.Contains(r.Out, "\"grid\": {\"--quant\": [\"binary\", \"ternary\"], \"--lr\": [\"1e-3\", \"1e-2\"]}");
        foreach (var option in SweepArguments.Options) StringAssert.Contains(r.Out, option.Name);
        var root = CliProcess.Run("--help");
        StringAssert.Contains(root.Out, "sweep <spec>");
        Assert.IsFalse(root.Out.Contains("\"grid\"", StringComparison.Ordinal), "the example stays in the sweep's own help");
    }

    /// <summary>A spec file with these contents, in a folder of its own.</summary>
    public static string Spec(string json)
    {
        var folder = CliProcess.TempFolder();
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "spec.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
