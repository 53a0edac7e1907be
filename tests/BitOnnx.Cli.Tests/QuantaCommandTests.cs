using System.Text.Json;
using BitOnnx.Analysis.Arithmetic;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Models;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// <c>bitonnx quanta</c>: the report folder of a small trained 2-digit addition model, its numbers against the library
/// run on the same TorchSharp model, the last layer's causality held by the tools, and one error line for each bad input.
/// </summary>
[TestClass]
public sealed class QuantaCommandTests
{
    private static readonly ArithmeticTask Add2 = new(2, ArithmeticMix.Addition);

    /// <summary>2 layers × 2 heads, d_model 32, 400 steps of 64 at lr 3e-3 (a few seconds of CPU), saved as a checkpoint.</summary>
    private static readonly Lazy<string> Model = new(() =>
    {
        // One libtorch thread: the machine is shared, and two threads that spin on a busy machine train many times slower.
        BitOnnx.Torch.TorchRuntime.SetThreads(1);
        var config = SequenceModelConfig.ForTask(Add2) with { DModel = 32, NHeads = 2, DHead = 16, DMlp = 128, NLayers = 2 };
        using var trainer = SequenceTrainer.Start(config, Add2, new SequenceTrainingOptions { Steps = 400, LearningRate = 3e-3, Seed = 1, MetricsEvery = 500 });
        trainer.Run();
        var path = Path.Combine(CliProcess.TempFolder(), "add2.safetensors");
        trainer.Save(path);
        return path;
    });

    [TestMethod]
    public void WritesTheReportFolderWithTheLibrarysNumbers()
    {
        var folder = Path.Combine(CliProcess.TempFolder(), "quanta");
        var r = CliProcess.Run("quanta", Model.Value, "-o", folder, "--questions", "60", "--seed", "2", "--pca", "2");
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        Assert.AreEqual("", r.Error);
        foreach (var name in new[] { "report.md", "quanta.json", "quanta-map-fail.svg", "quanta-map-impact.svg", "quanta-map-classes.svg", "quanta-map-attention.svg" })
            Assert.IsTrue(File.Exists(Path.Combine(folder, name)), name);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "quanta.json")));
        using var file = HookedSequenceModelFile.Open(Model.Value);
        var expected = QuantaTools.Run(file.Model, new QuantaToolOptions { Questions = 60, Seed = 2, MaxPcaNodes = 2 });
        var positions = json.RootElement.GetProperty("positions").EnumerateArray().ToList();
        Assert.AreEqual(Add2.ContextLength, positions.Count);
        for (int p = 0; p < positions.Count; p++)
            Assert.AreEqual(expected.Positions[p].Outcome.Fails, positions[p].GetProperty("fails").GetInt32(), $"P{p}");
        Assert.AreEqual(expected.Nodes.Count, json.RootElement.GetProperty("nodes").GetArrayLength());
        Assert.AreEqual(expected.Questions.Count, json.RootElement.GetProperty("questions_asked").GetInt32());
        Assert.IsTrue(expected.Questions.Count > 0);
    }

    /// <summary>
    /// The same model exported with every hook a probe and writable gives the checkpoint's report on ONNX Runtime: the
    /// same questions, and the same failures at each position but where float32 sums in another order flip a near tie.
    /// </summary>
    [TestMethod]
    public void TheExportedModelGivesTheCheckpointsReport()
    {
        var onnx = Path.Combine(CliProcess.TempFolder(), "add2.onnx");
        var export = CliProcess.Run("export", Model.Value, "-o", onnx, "--probes", "all", "--writable", "all");
        Assert.AreEqual(0, export.ExitCode, export.Out + export.Error);
        var reports = new[] { Model.Value, onnx }.Select(model =>
        {
            var folder = Path.Combine(CliProcess.TempFolder(), "quanta");
            var r = CliProcess.Run("quanta", model, "-o", folder, "--questions", "60", "--seed", "2", "--pca", "1");
            Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
            return JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "quanta.json")));
        }).ToArray();
        int Fails(JsonDocument d, int p) => d.RootElement.GetProperty("positions")[p].GetProperty("fails").GetInt32();
        Assert.AreEqual(reports[0].RootElement.GetProperty("questions_asked").GetInt32(), reports[1].RootElement.GetProperty("questions_asked").GetInt32());
        var differences = Enumerable.Range(0, Add2.ContextLength).Sum(p => Math.Abs(Fails(reports[0], p) - Fails(reports[1], p)));
        Assert.IsTrue(differences <= 2, $"{differences} failures differ between TorchSharp and ONNX Runtime");
        Assert.IsTrue(Enumerable.Range(0, Add2.ContextLength).Any(p => Fails(reports[1], p) > 0), "some position is useful");
        foreach (var d in reports) d.Dispose();
    }

    [TestMethod]
    public void AblatingTheLastLayersResidualAtAPositionOnlyBreaksTheDigitItPredicts()
    {
        using var file = HookedSequenceModelFile.Open(Model.Value);
        var model = file.Model;
        var set = ArithmeticQuestionSet.Draw(Add2, 80, seed: 5);
        var clean = AblationOutcome.Measure(model, set, []);
        set = set.Subset(Enumerable.Range(0, set.Count).Except(clean.FailedRows));
        int last = model.Config.NLayers - 1;
        var positions = UsefulPositions.Find(model, set, layer: last);
        // A direct loop: the last layer's residual at p reaches only the logits at p, so the questions that fail are
        // those whose token at p + 1 is an answer token and is no longer the argmax there.
        var run = model.Run(set.Tokens, set.Count, set.Length, [], [HookNames.ResidPost(last)]);
        int d = model.Config.DModel, t = set.Length, v = model.Config.DVocabOut;
        var values = run.Hooks[HookNames.ResidPost(last)];
        for (int p = 0; p < t; p++)
        {
            var mean = new float[t * d];
            var mask = new float[t * d];
            for (int k = 0; k < d; k++)
            {
                double s = 0;
                for (int row = 0; row < set.Count; row++) s += values[(row * t + p) * d + k];
                mean[p * d + k] = (float)(s / set.Count);
                mask[p * d + k] = 1;
            }
            var logits = model.Run(set.Tokens, set.Count, t, [new(HookNames.ResidPost(last), mask, mean)], []).Logits;
            var expected = new List<int>();
            for (int row = 0; row < set.Count; row++)
            {
                bool answerAt = p + 1 >= ArithmeticQuestion.SignPosition(2) && p + 1 < t;
                for (int q = 0; q < t - 1; q++)
                {
                    if (q + 1 < ArithmeticQuestion.SignPosition(2)) continue;
                    int best = 0;
                    for (int u = 1; u < v; u++) if (logits[(row * t + q) * v + u] > logits[(row * t + q) * v + best]) best = u;
                    bool wrong = best != set.Tokens[row * t + q + 1];
                    if (wrong) Assert.AreEqual(p, q, $"ablating P{p} changed the answer read at P{q}");
                    if (wrong && answerAt) { expected.Add(row); break; }
                }
            }
            CollectionAssert.AreEqual(expected, positions[p].Outcome.FailedRows.ToList(), $"P{p}");
        }
        Assert.IsTrue(positions.Any(p => p.Outcome.Useful), "some answer position is useful");
        Assert.IsTrue(positions.Where(p => p.Outcome.Useful).All(p => p.Position >= ArithmeticQuestion.SignPosition(2) - 1));
    }

    [TestMethod]
    public void BadInputIsOneErrorLine()
    {
        var folder = Path.Combine(CliProcess.TempFolder(), "none");
        foreach (var (args, words) in new (string[], string)[]
        {
            (["quanta", Model.Value, "-o", folder, "--questions", "0"], "--questions 0 is not a positive whole number"),
            (["quanta", Model.Value, "-o", folder, "--questions", "-5"], "is not a positive whole number"),
            (["quanta", Path.Combine(folder, "missing.safetensors"), "-o", folder], "does not exist"),
            (["quanta", WriteText("model.onnx", "x"), "-o", folder], "model.onnx"),
            (["quanta", ExportedWithoutHooks(), "-o", folder], "--probes all --writable all"),
            (["quanta", WriteText("notes.txt", "x"), "-o", folder], "neither a .safetensors"),
            (["quanta", ModularAdditionModel(), "-o", folder], "is a modular-addition model"),
            (["quanta", WriteText("junk.safetensors", "not a checkpoint"), "-o", folder], "junk.safetensors"),
            (["quanta", UntrainedModel(), "-o", folder], "answers none of 300 questions"),
        })
        {
            var r = CliProcess.Run(args);
            Assert.AreNotEqual(0, r.ExitCode, string.Join(' ', args));
            var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.AreEqual(1, lines.Length, r.Error);
            StringAssert.StartsWith(lines[0], "error: ");
            StringAssert.Contains(lines[0], words);
        }
        Assert.IsFalse(Directory.Exists(folder), "nothing written");
    }

    /// <summary>The trained model exported without probes or writable hooks: ONNX Runtime cannot be asked for them.</summary>
    private static string ExportedWithoutHooks()
    {
        var onnx = Path.Combine(CliProcess.TempFolder(), "bare.onnx");
        var export = CliProcess.Run("export", Model.Value, "-o", onnx);
        Assert.AreEqual(0, export.ExitCode, export.Out + export.Error);
        return onnx;
    }

    /// <summary>A freshly initialised 2-digit model, saved before any step: it answers nothing.</summary>
    private static string UntrainedModel()
    {
        var config = SequenceModelConfig.ForTask(Add2) with { DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, NLayers = 1 };
        using var trainer = SequenceTrainer.Start(config, Add2, new SequenceTrainingOptions { Steps = 1, Seed = 3 });
        var path = Path.Combine(CliProcess.TempFolder(), "untrained.safetensors");
        trainer.Save(path);
        return path;
    }

    private static string WriteText(string name, string text)
    {
        var folder = CliProcess.TempFolder();
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A modular-addition checkpoint from bitonnx train (P = 7, 2 epochs).</summary>
    private static string ModularAdditionModel()
    {
        var run = Path.Combine(CliProcess.TempFolder(), "run");
        var train = CliProcess.Run("train", "--p", "7", "--d-model", "8", "--n-heads", "2", "--d-mlp", "8", "--epochs", "2", "--log-every", "2", "--out", run);
        Assert.AreEqual(0, train.ExitCode, train.Error);
        return Path.Combine(run, "model.safetensors");
    }
}
