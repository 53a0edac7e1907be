using System.Diagnostics;
using System.Globalization;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// tools/seeds.sh, the one command behind docs/reproduction.md's five-seed table, at CI size (P = 31 and the CI
/// grokking recipe): it trains each seed to 99%, exports, verifies and analyses it, skips finished runs on a rerun and
/// summarises the seeds as mean ± sd.
/// </summary>
[TestClass]
public sealed class SeedsScriptTests
{
    private static (int ExitCode, string Output) Seeds(string output, string seeds)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(CliProcess.RepositoryRoot(), "tools", "seeds.sh"), output, seeds, "li2024-ternary nanda2023-fp" }) start.ArgumentList.Add(a);
        start.Environment["BITONNX"] = "dotnet " + Path.Combine(AppContext.BaseDirectory, "bitonnx.dll");
        start.Environment["P"] = "31";
        start.Environment["TRAIN_ARGS"] = "--d-model 64 --train-fraction 0.6 --lr 3e-3";
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8))) { process.Kill(true); Assert.Fail("tools/seeds.sh timed out"); }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [TestMethod]
    public void TrainsEachSeedToNinetyNinePercentSkipsFinishedRunsAndSummarisesThem()
    {
        var output = CliProcess.TempFolder();
        var first = Seeds(output, "0");
        Assert.AreEqual(0, first.ExitCode, first.Output);
        var seed0Model = Path.Combine(output, "li2024-ternary-s0", "model.safetensors");
        var seed0Written = File.GetLastWriteTimeUtc(seed0Model);

        var second = Seeds(output, "0 1");
        Assert.AreEqual(0, second.ExitCode, second.Output);
        Assert.AreEqual(seed0Written, File.GetLastWriteTimeUtc(seed0Model), "a finished run is not trained again");

        var rows = File.ReadAllLines(Path.Combine(output, "table.tsv"));
        var header = rows[0].Split('\t');
        Assert.AreEqual(5, rows.Length, "a header and one row per model and seed");
        int Column(string name) => Array.IndexOf(header, name);
        foreach (var row in rows.Skip(1).Select(r => r.Split('\t')))
        {
            var epoch = int.Parse(row[Column("epoch99")], CultureInfo.InvariantCulture);
            Assert.AreEqual(0, epoch % 10, "stops at a logged epoch (every 10)");
            Assert.IsTrue(double.Parse(row[Column("testAcc")], CultureInfo.InvariantCulture) >= 0.99, "test accuracy at the stop");
            Assert.AreEqual(epoch, int.Parse(row[Column("lastEpoch")], CultureInfo.InvariantCulture), "stopped where 99% was reached");
            Assert.IsTrue(double.Parse(row[Column("onnxAccuracy")], CultureInfo.InvariantCulture) >= 0.99, "the analysed ONNX model predicts");
            Assert.AreNotEqual("-", row[Column("keyFrequencies")], "a grokked model has key frequencies");
            // Full precision has no codes to store in 2 bits; its probes export as float.
            Assert.AreEqual(row[Column("model")] == "nanda2023-fp", row[Column("int2KiB")] == "-", "the int2 export was written and verified");
        }

        // The summary is the mean ± sd of the two rows (sample sd, n − 1).
        var epochs = rows.Skip(1).Where(r => r.StartsWith("li2024-ternary\t", StringComparison.Ordinal))
            .Select(r => double.Parse(r.Split('\t')[Column("epoch99")], CultureInfo.InvariantCulture)).ToArray();
        var mean = epochs.Average();
        var sd = Math.Abs(epochs[0] - epochs[1]) / Math.Sqrt(2);
        var summary = File.ReadAllLines(Path.Combine(output, "table.md")).Single(l => l.StartsWith("| li2024-ternary |", StringComparison.Ordinal));
        StringAssert.Contains(summary, "2 (seeds 0, 1) | 2 |");
        StringAssert.Contains(summary, string.Create(CultureInfo.InvariantCulture, $"{mean:F0} ± {sd:F0}"));
    }
}
