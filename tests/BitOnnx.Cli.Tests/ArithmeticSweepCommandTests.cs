namespace BitOnnx.Cli.Tests;

/// <summary>`bitonnx sweep` over arithmetic cells (--task add2 in the base) through the real command line, on the engine.</summary>
[TestClass]
public sealed class ArithmeticSweepCommandTests
{
    private const string Tiny = "--task add2 --d-model 16 --n-heads 2 --n-layers 1 --batch 32 --steps 20 --log-every 10 --eval-questions 30 --backend engine --threads 1";

    [TestMethod]
    public void JobsTwoTrainsTheCellsAndCollectShowsTheirAnswerAccuracy()
    {
        var spec = SweepCommandTests.Spec($$"""{"base": "{{Tiny}}", "grid": {"--quant": ["none", "ternary"]}, "seeds": [0]}""");
        var output = CliProcess.TempFolder();
        var run = CliProcess.Run("sweep", spec, "-o", output, "--jobs", "2");
        Assert.AreEqual(0, run.ExitCode, run.Error + run.Out);
        StringAssert.Contains(run.Out, "cell 1 done: step 20");
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "logs", "cell-0.log")), "cell 0  step 10  loss ");
        foreach (var cell in new[] { "0000", "0001" })
        {
            var folder = Path.Combine(output, "cells", cell);
            foreach (var file in new[] { "model.safetensors", "metrics.csv", "config.json", "eval.json", "README.md", "status.json" })
                Assert.IsTrue(File.Exists(Path.Combine(folder, file)), $"{cell}/{file}");
        }

        var collect = CliProcess.Run("sweep", spec, "-o", output, "--collect");
        Assert.AreEqual(0, collect.ExitCode, collect.Error);
        StringAssert.Contains(collect.Out, "| grid point | cells | done | failed | steps | questions per cell | wrong | lowest answer accuracy | its 95 % interval | final train loss |");
        StringAssert.Contains(collect.Out, "| `--quant ternary` | 1 | 1 | 0 | 20 | 30 | ");
        StringAssert.Contains(collect.Out, "2 done, 0 failed, 0 pending of 2 cells");

        var emit = CliProcess.Run("sweep", spec, "-o", output, "--emit", "k8s");
        Assert.AreEqual(0, emit.ExitCode, emit.Error);
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "sweep-job.yaml")), "completions: 2");
    }
}
