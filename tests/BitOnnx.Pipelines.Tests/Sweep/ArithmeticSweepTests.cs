using System.Globalization;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Observers;
using BitOnnx.Pipelines.Sequence;
using BitOnnx.Pipelines.Sweep;
using BitOnnx.TestSupport;

namespace BitOnnx.Pipelines.Tests.Sweep;

/// <summary>A sweep whose base names an arithmetic task: its cells are `bitonnx train --task addN` runs, its table their answer accuracy.</summary>
[TestClass]
public sealed class ArithmeticSweepTests
{
    private const string Base = "--task add2 --d-model 16 --n-heads 2 --n-layers 1 --batch 32 --steps 20 --log-every 1 --eval-questions 30 --backend engine --threads 1";

    private static SweepFolder Folder() => new(TempDir.NewPath("bitonnx-sweep-arithmetic"),
        SweepPlan.Of(SweepSpec.Parse($$"""{"base": "{{Base}}", "grid": {"weights": ["--quant none", "--quant binary --binary-scale absmean"]}, "seeds": [0, 1]}""", "spec.json")));

    [TestMethod]
    public void ACellIsTheRunBitonnxTrainWritesAndTheTableCountsItsWrongAnswers()
    {
        var folder = Folder();
        Assert.IsTrue(folder.Plan.Cells.All(c => c.IsArithmetic));
        var stepped = new List<long>();
        foreach (var cell in folder.Plan.Cells)
        {
            var result = SweepWorker.Run(folder, cell.Index, new Inline(p =>
            {
                if (p is CellStepped s && s.Cell.Index == 3) stepped.Add(s.Progress.Step);
            }));
            Assert.AreEqual(CellOutcome.Done, result.Outcome, result.Detail);
            Assert.AreEqual(CellStatus.DoneAtStep(20), folder.ReadStatus(cell.Index));
        }
        CollectionAssert.AreEqual(Enumerable.Range(0, 20).Select(i => (long)i).ToArray(), stepped.ToArray(), "every logged step of the cell, in order");

        // Cell 3 (absmean binary, seed 1) is the run the train command writes with the same arguments.
        var alone = TempDir.NewPath("bitonnx-sweep-arithmetic");
        SequenceTrainingPipeline.Run(SequenceTrainArguments.Build($"{Base} --quant binary --binary-scale absmean --seed 1 --out {alone}"), SilentObserver.Instance);
        var cell3 = new SequenceRunFolder(folder.CellDirectory(3));
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(alone, "model.safetensors")), File.ReadAllBytes(cell3.ModelFile));
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(alone, "eval.json")), File.ReadAllBytes(cell3.EvaluationFile));

        SweepTable.Write(folder);
        var tsv = File.ReadAllLines(folder.TableTsv);
        StringAssert.StartsWith(tsv[0], "index\targuments\tseed\tstatus\tsteps\ttrain_loss\ttrain_answer_acc\tquestions\tfailures\tanswer_acc");
        for (int i = 0; i < 4; i++)
        {
            var fields = tsv[i + 1].Split('\t');
            var run = new SequenceRunFolder(folder.CellDirectory(i));
            Assert.AreEqual("done", fields[3]);
            Assert.AreEqual("20", fields[4]);
            Assert.AreEqual(run.ReadMetricRows()[^1][2], fields[5], "the last logged loss");
            Assert.AreEqual("30", fields[7]);
            Assert.AreEqual(Failures(run).ToString(CultureInfo.InvariantCulture), fields[8]);
        }
        var markdown = File.ReadAllText(folder.TableMarkdown);
        StringAssert.Contains(markdown, "| grid point | cells | done | failed | steps | questions per cell | wrong | lowest answer accuracy | its 95 % interval | final train loss |");
        StringAssert.Contains(markdown, $"| `--quant binary --binary-scale absmean` | 2 | 2 | 0 | 20 | 30 | {Failures(new(folder.CellDirectory(2)))}, {Failures(cell3)} |");
    }

    [TestMethod]
    public void TheTableShowsEachSeedsFailuresAndTheLeastAccurateCellsInterval()
    {
        var folder = Folder();
        folder.Bind();
        // Planted cells: 0 and 0 wrong of 100,000 each, then 3 and 1.
        long[] failures = [0, 0, 3, 1];
        for (int i = 0; i < 4; i++)
        {
            Directory.CreateDirectory(folder.CellDirectory(i));
            folder.WriteStatus(i, CellStatus.DoneAtStep(8000));
            File.WriteAllText(Path.Combine(folder.CellDirectory(i), "eval.json"), $$"""{"questions": 100000, "failures": {{failures[i]}}}""");
            File.WriteAllText(Path.Combine(folder.CellDirectory(i), "metrics.csv"), "step,lr,loss,answer_acc,A2,A1,A0\n7999,0,0.5,1,1,1,1\n");
        }
        var markdown = SequenceSweepTable.Markdown(folder.Plan.Spec, SequenceSweepTable.Rows(folder));
        // No failure in n: the interval is [(α/2)^(1/n), 1] in closed form. The cells share their questions: n is one cell's.
        var lower = Math.Pow(0.025, 1.0 / 100_000) * 100;
        StringAssert.Contains(markdown, $"| `--quant none` | 2 | 2 | 0 | 8000 | 100,000 | 0, 0 | 100.0000% | [{lower.ToString("F4", CultureInfo.InvariantCulture)}%, 100.0000%] | 0.5 ± 0 |");
        StringAssert.Contains(markdown, "| `--quant binary --binary-scale absmean` | 2 | 2 | 0 | 8000 | 100,000 | 3, 1 | 99.9970% |");
    }

    [TestMethod]
    public void AnInterruptedCellResumesToTheUninterruptedBytes()
    {
        var folder = Folder();
        using var cancel = new CancellationTokenSource();
        var stopped = SweepWorker.Run(folder, 0, new Inline(p =>
        {
            if (p is CellStepped { Progress.Step: 6 }) cancel.Cancel();
        }), cancel.Token);
        Assert.AreEqual(CellOutcome.Interrupted, stopped.Outcome, stopped.Detail);
        Assert.IsNull(folder.ReadStatus(0));
        var started = new List<SweepProgress>();
        var resumed = SweepWorker.Run(folder, 0, new Inline(started.Add));
        Assert.AreEqual(CellOutcome.Done, resumed.Outcome, resumed.Detail);
        Assert.AreEqual(6, started.OfType<CellStarted>().Single().ResumedFrom, "the last logged step before the stop");

        var whole = TempDir.NewPath("bitonnx-sweep-arithmetic");
        SequenceTrainingPipeline.Run(SequenceTrainArguments.Build($"{Base} --quant none --seed 0 --out {whole}"), SilentObserver.Instance);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")), File.ReadAllBytes(Path.Combine(folder.CellDirectory(0), "model.safetensors")));
        CollectionAssert.AreEqual(File.ReadAllLines(Path.Combine(whole, "metrics.csv")), File.ReadAllLines(Path.Combine(folder.CellDirectory(0), "metrics.csv")));
    }

    [TestMethod]
    [DataRow("""{"base": "--task add5", "grid": {"--steps": ["0"]}, "seeds": [0]}""", "grid axis \"--steps\": --steps '0' is out of range")]
    [DataRow("""{"base": "--task add5 --p 7", "seeds": [0]}""", "--p is an option of modular-addition, not of arithmetic task add5")]
    [DataRow("""{"base": "--p 7", "grid": {"--steps": ["10"]}, "seeds": [0]}""", "--steps is an option of arithmetic tasks, not of modular-addition")]
    [DataRow("""{"base": "--p 7", "grid": {"--task": ["modular-addition", "add2"]}, "seeds": [0]}""", "a sweep trains one kind of task")]
    [DataRow("""{"base": "--task add5 --seed 3", "seeds": [0]}""", "\"base\" gives --seed; the sweep sets it per cell from \"seeds\".")]
    public void AnArithmeticSpecThatCannotRunIsRefusedInOneMessage(string json, string message)
    {
        var e = Assert.ThrowsExactly<UsageException>(() => SweepPlan.Of(SweepSpec.Parse(json, "spec.json")));
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void TheSlurmScriptOfAnArithmeticSweepRunsItsCells()
    {
        var folder = new SweepFolder("/data/runs/add", Folder().Plan);
        var script = SweepEmitter.Slurm(folder, new EmitSettings(["bitonnx"], 2, EmitSettings.DefaultImage, EmitSettings.DefaultClaim));
        StringAssert.Contains(script, "#SBATCH --array=0-3%2\n");
        StringAssert.Contains(script, "#SBATCH --cpus-per-task=1\n");
        StringAssert.Contains(script, "exec bitonnx sweep /data/runs/add/sweep.json -o /data/runs/add --index \"$SLURM_ARRAY_TASK_ID\"\n");
    }

    private static long Failures(SequenceRunFolder run) =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(run.EvaluationFile)).RootElement.GetProperty("failures").GetInt64();

    private sealed class Inline(Action<SweepProgress> handler) : IProgress<SweepProgress>
    {
        public void Report(SweepProgress value) => handler(value);
    }
}
