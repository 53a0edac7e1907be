using System.Text.Json;
using BitOnnx.Analysis;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Pipelines.Observers;
using BitOnnx.Pipelines.Sequence;
using BitOnnx.TestSupport;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Pipelines.Tests.Sequence;

/// <summary>`bitonnx train --task addN` as a library call: the run folder it writes, its evaluation, and exact resume.</summary>
[TestClass]
public sealed class SequenceTrainingPipelineTests
{
    /// <summary>A model that trains in about a second: 2-digit addition, one layer of 2 heads at d_model 16.</summary>
    private const string Tiny = "--task add2 --d-model 16 --n-heads 2 --n-layers 1 --batch 32";

    private static SequenceTrainRequest Request(string options, string folder) => SequenceTrainArguments.Build($"{Tiny} {options} --out {folder}");

    [TestMethod]
    public void TrainsATinyModelAndWritesTheRunFolder()
    {
        var folder = TempDir.NewPath("sequence-pipeline");
        var result = SequenceTrainingPipeline.Run(Request("--steps 30 --log-every 10 --eval-questions 40", folder), SilentObserver.Instance);
        Assert.IsFalse(result.Interrupted);
        Assert.AreEqual(30, result.Step);
        foreach (var file in new[] { "model.safetensors", "metrics.csv", "config.json", "eval.json", "README.md" })
            Assert.IsTrue(File.Exists(Path.Combine(folder, file)), file);
        Assert.IsFalse(File.Exists(Path.Combine(folder, "resume.safetensors")), "a finished run keeps no resume state");

        var metrics = File.ReadAllLines(Path.Combine(folder, "metrics.csv"));
        Assert.AreEqual("step,lr,loss,answer_acc,A3,A2,A1,A0", metrics[0], "the sign A3, then the digits, most significant first");
        CollectionAssert.AreEqual(new[] { "0", "10", "20", "29" }, metrics.Skip(1).Select(l => l.Split(',')[0]).ToArray());
        Assert.IsTrue(metrics.Skip(1).All(l => l.Split(',').Length == 8));

        // The saved model, asked the evaluation's questions by a plain loop, fails exactly as eval.json says.
        using var model = SequenceTransformer.Load(Path.Combine(folder, "model.safetensors"));
        var questions = new ArithmeticTask(2, ArithmeticMix.Addition, ArithmeticEnrichment.None).Generate(SequenceTrainArguments.EvalSeed, 0, 40).Questions;
        int wrong = questions.Count(q => PlainAnswer(model, q.X, q.Y) != $"+{q.X + q.Y:D3}");
        using var eval = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "eval.json")));
        Assert.AreEqual(40, eval.RootElement.GetProperty("questions").GetInt64());
        Assert.AreEqual(wrong, eval.RootElement.GetProperty("failures").GetInt64());
        Assert.AreEqual(40, eval.RootElement.GetProperty("by_class").EnumerateArray().Sum(c => c.GetProperty("questions").GetInt64()));
        var cascades = eval.RootElement.GetProperty("cascades").EnumerateArray().ToList();
        CollectionAssert.AreEqual(new[] { "99+01", "00+00" }, cascades.Select(c => c.GetProperty("question").GetString()).ToArray());
        CollectionAssert.AreEqual(new[] { "+100", "+000" }, cascades.Select(c => c.GetProperty("expected").GetString()).ToArray());
        Assert.AreEqual(PlainAnswer(model, 99, 1), cascades[0].GetProperty("answer").GetString());

        // The card's command rebuilds this request.
        var card = File.ReadAllText(Path.Combine(folder, "README.md"));
        var line = card.Split('\n').Single(l => l.StartsWith("bitonnx train ", StringComparison.Ordinal));
        var rebuilt = SequenceTrainArguments.Build(line["bitonnx train ".Length..]);
        var asked = Request("--steps 30 --log-every 10 --eval-questions 40", folder);
        Assert.AreEqual(asked.Config, rebuilt.Config);
        Assert.AreEqual(asked.Options, rebuilt.Options);
        Assert.AreEqual(asked.EvalQuestions, rebuilt.EvalQuestions);
        StringAssert.Contains(card, $"**{wrong} wrong**");
    }

    [TestMethod]
    public void ARunResumedAfterAnInterruptionIsTheUninterruptedRunToTheByte()
    {
        var whole = TempDir.NewPath("sequence-pipeline");
        SequenceTrainingPipeline.Run(Request("--steps 12 --log-every 1 --eval-questions 0 --seed 3", whole), SilentObserver.Instance);

        var parts = TempDir.NewPath("sequence-pipeline");
        var interrupting = new InterruptingObserver(afterSteps: 5);
        var first = SequenceTrainingPipeline.Run(Request("--steps 12 --log-every 1 --eval-questions 0 --seed 3", parts), interrupting);
        Assert.IsTrue(first.Interrupted);
        Assert.AreEqual(5, first.Step);
        Assert.IsTrue(File.Exists(Path.Combine(parts, "resume.safetensors")));
        var said = interrupting.Lines.Single(l => l.Contains("Interrupted at step 5 of 12", StringComparison.Ordinal));
        StringAssert.EndsWith(said, $"--seed 3 --log-every 1 --eval-questions 0 --out {parts} --resume");

        var second = SequenceTrainingPipeline.Run(Request("--steps 12 --log-every 1 --eval-questions 0 --seed 3 --resume", parts), SilentObserver.Instance);
        Assert.IsFalse(second.Interrupted);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")), File.ReadAllBytes(Path.Combine(parts, "model.safetensors")));
        CollectionAssert.AreEqual(File.ReadAllLines(Path.Combine(whole, "metrics.csv")), File.ReadAllLines(Path.Combine(parts, "metrics.csv")));
    }

    [TestMethod]
    public void AFolderThatHoldsARunIsRefusedUnlessResumedOrForced()
    {
        var folder = TempDir.NewPath("sequence-pipeline");
        SequenceTrainingPipeline.Run(Request("--steps 3 --eval-questions 0", folder), SilentObserver.Instance);
        var before = File.ReadAllBytes(Path.Combine(folder, "model.safetensors"));
        var refused = Assert.ThrowsExactly<RunExistsException>(() => SequenceTrainingPipeline.Run(Request("--steps 3 --eval-questions 0 --seed 1", folder), SilentObserver.Instance));
        StringAssert.Contains(refused.Message, "already holds a run (step 2)");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")), "nothing written");

        var finished = Assert.ThrowsExactly<RunFolderException>(() => SequenceTrainingPipeline.Run(Request("--steps 3 --eval-questions 0 --resume", folder), SilentObserver.Instance));
        StringAssert.Contains(finished.Message, "no resume.safetensors");

        SequenceTrainingPipeline.Run(Request("--steps 3 --eval-questions 0 --seed 1 --force", folder), SilentObserver.Instance);
        CollectionAssert.AreNotEqual(before, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")), "another seed, another model");
    }

    [TestMethod]
    public void AResumeWithOtherSettingsIsRefused()
    {
        var folder = TempDir.NewPath("sequence-pipeline");
        SequenceTrainingPipeline.Run(Request("--steps 8 --log-every 1 --eval-questions 0", folder), new InterruptingObserver(afterSteps: 2));
        var e = Assert.ThrowsExactly<RunFolderException>(() =>
            SequenceTrainingPipeline.Run(Request("--steps 9 --log-every 1 --eval-questions 0 --resume", folder), SilentObserver.Instance));
        StringAssert.Contains(e.Message, "was trained with other settings");
    }

    /// <summary>The answer by a plain loop: the whole n_ctx sequence fed each time, the argmax taken by hand.</summary>
    private static string PlainAnswer(SequenceTransformer model, long x, long y)
    {
        const int length = 10, start = 6, vocab = 15;
        var tokens = new int[length];
        var text = $"{x:D2}+{y:D2}=";
        for (int i = 0; i < start; i++) tokens[i] = text[i] switch { '+' => 10, '=' => 12, var c => c - '0' };
        for (int p = start; p < length; p++)
        {
            var logits = model.Logits(tokens, 1, length);
            int best = 0;
            for (int u = 1; u < vocab; u++) if (logits[(p - 1) * vocab + u] > logits[(p - 1) * vocab + best]) best = u;
            tokens[p] = best;
        }
        return string.Concat(tokens[start..].Select(t => t switch { 10 => "+", 11 => "-", 12 => "=", 13 => "*", 14 => "/", _ => t.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }

    /// <summary>Cancels a run once it has taken <c>afterSteps</c> steps (with --log-every 1 every step reports), as Ctrl-C does; records what it is told.</summary>
    private sealed class InterruptingObserver(long afterSteps) : IPipelineObserver
    {
        public List<string> Lines { get; } = [];

        public long TrainSequence(string label, long steps, long startStep, Func<IProgress<SequenceTrainingProgress>, CancellationToken, long> job)
        {
            using var cancel = new CancellationTokenSource();
            return job(new Inline(p =>
            {
                if (p.Step + 1 >= afterSteps) cancel.Cancel();
            }), cancel.Token);
        }

        public TrainingResult Train(string label, int epochs, Func<IProgress<TrainingProgress>, CancellationToken, TrainingResult> job) =>
            SilentObserver.Instance.Train(label, epochs, job);

        public T Analyze<T>(Func<Func<string?, IProgress<AnalysisProgress>>, T> job) => SilentObserver.Instance.Analyze(job);

        public void Show(ResultTable table)
        {
        }

        public void Say(string line, bool warning = false) => Lines.Add(line);

        private sealed class Inline(Action<SequenceTrainingProgress> handler) : IProgress<SequenceTrainingProgress>
        {
            public void Report(SequenceTrainingProgress value) => handler(value);
        }
    }
}
