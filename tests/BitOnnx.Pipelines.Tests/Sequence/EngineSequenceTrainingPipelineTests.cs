using System.Text.Json;
using BitOnnx.Analysis;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Sequence;
using BitOnnx.Pipelines.Observers;
using BitOnnx.Pipelines.Sequence;
using BitOnnx.TestSupport;

namespace BitOnnx.Pipelines.Tests.Sequence;

/// <summary>`bitonnx train --task addN --backend engine`: the same run folder, card and exact resume as TorchSharp's, trained by the engine.</summary>
[TestClass]
public sealed class EngineSequenceTrainingPipelineTests
{
    private const string Tiny = "--task add2 --d-model 16 --n-heads 2 --n-layers 1 --batch 32";

    private static SequenceTrainRequest Request(string options, string folder) => SequenceTrainArguments.Build($"{Tiny} {options} --out {folder}");

    [TestMethod]
    public void TheEngineTrainsATinyModelAndWritesTheRunFolder()
    {
        var folder = TempDir.NewPath("engine-sequence-pipeline");
        var request = Request("--backend engine --threads 2 --steps 30 --log-every 10 --eval-questions 40", folder);
        var result = SequenceTrainingPipeline.Run(request, SilentObserver.Instance);
        Assert.IsFalse(result.Interrupted);
        foreach (var file in new[] { "model.safetensors", "metrics.csv", "config.json", "eval.json", "README.md" })
            Assert.IsTrue(File.Exists(Path.Combine(folder, file)), file);
        Assert.IsFalse(File.Exists(Path.Combine(folder, "resume.safetensors")));
        CollectionAssert.AreEqual(new[] { "0", "10", "20", "29" }, File.ReadAllLines(Path.Combine(folder, "metrics.csv")).Skip(1).Select(l => l.Split(',')[0]).ToArray());
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json"))))
            Assert.AreEqual("engine", config.RootElement.GetProperty("backend").GetString());

        // The weights are the engine's: one thread, called directly, gives the same bits as the pipeline's two.
        var direct = EngineSequenceTrainer.Train(request.Config, request.Task, request.Options);
        var saved = EngineSequenceModel.Load(Path.Combine(folder, "model.safetensors"));
        foreach (var (a, b) in direct.ToNamedTensors().Zip(saved.ToNamedTensors()))
            CollectionAssert.AreEqual(a.Data, b.Data, a.Name);
        var torch = TempDir.NewPath("engine-sequence-pipeline");
        SequenceTrainingPipeline.Run(Request("--steps 30 --log-every 10 --eval-questions 0", torch), SilentObserver.Instance);
        CollectionAssert.AreNotEqual(File.ReadAllBytes(Path.Combine(torch, "model.safetensors")), File.ReadAllBytes(Path.Combine(folder, "model.safetensors")),
            "TorchSharp's rounding differs from the engine's: equal bytes would mean the engine never ran");

        // eval.json counts what a plain greedy loop over the saved model gets wrong.
        var questions = new ArithmeticTask(2, ArithmeticMix.Addition, ArithmeticEnrichment.None).Generate(SequenceTrainArguments.EvalSeed, 0, 40).Questions;
        int wrong = questions.Count(q => PlainAnswer(saved.Logits, q.X, q.Y) != $"+{q.X + q.Y:D3}");
        using var eval = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "eval.json")));
        Assert.AreEqual(wrong, eval.RootElement.GetProperty("failures").GetInt64());

        // The card names the backend, and its command rebuilds the request.
        var line = File.ReadAllText(Path.Combine(folder, "README.md")).Split('\n').Single(l => l.StartsWith("bitonnx train ", StringComparison.Ordinal));
        StringAssert.Contains(line, "--backend engine");
        var rebuilt = SequenceTrainArguments.Build(line["bitonnx train ".Length..]);
        Assert.AreEqual((request.Config, request.Options, request.Backend, request.Threads), (rebuilt.Config, rebuilt.Options, rebuilt.Backend, rebuilt.Threads));
    }

    [TestMethod]
    public void AnEngineRunResumedAfterAnInterruptionIsTheUninterruptedRunToTheByte()
    {
        const string Options = "--backend engine --steps 12 --log-every 1 --eval-questions 0 --seed 3";
        var whole = TempDir.NewPath("engine-sequence-pipeline");
        SequenceTrainingPipeline.Run(Request(Options, whole), SilentObserver.Instance);

        var parts = TempDir.NewPath("engine-sequence-pipeline");
        var interrupting = new InterruptingObserver(afterSteps: 5);
        var first = SequenceTrainingPipeline.Run(Request(Options, parts), interrupting);
        Assert.IsTrue(first.Interrupted);
        Assert.AreEqual(5, first.Step);
        StringAssert.EndsWith(interrupting.Lines.Single(l => l.Contains("Interrupted at step 5 of 12", StringComparison.Ordinal)),
            $"--backend engine --out {parts} --resume");

        var second = SequenceTrainingPipeline.Run(Request(Options + " --resume", parts), SilentObserver.Instance);
        Assert.IsFalse(second.Interrupted);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")), File.ReadAllBytes(Path.Combine(parts, "model.safetensors")));
        CollectionAssert.AreEqual(File.ReadAllLines(Path.Combine(whole, "metrics.csv")), File.ReadAllLines(Path.Combine(parts, "metrics.csv")));
    }

    [TestMethod]
    [DataRow("--backend engine", "", "torchsharp")]
    [DataRow("", "--backend engine", "engine")]
    public void AResumeOnTheOtherBackendIsRefused(string started, string resumed, string asked)
    {
        var folder = TempDir.NewPath("engine-sequence-pipeline");
        SequenceTrainingPipeline.Run(Request($"{started} --steps 8 --log-every 1 --eval-questions 0", folder), new InterruptingObserver(afterSteps: 2));
        var resume = Path.Combine(folder, "resume.safetensors");
        var before = File.ReadAllBytes(resume);
        var e = Assert.ThrowsExactly<RunFolderException>(() =>
            SequenceTrainingPipeline.Run(Request($"{resumed} --steps 8 --log-every 1 --eval-questions 0 --resume", folder), SilentObserver.Instance));
        var trained = asked == "engine" ? "torchsharp" : "engine";
        StringAssert.Contains(e.Message, $"was trained with --backend {trained}; resume it with --backend {trained}");
        Assert.AreEqual(1, e.Message.Split(". ").Length, e.Message);
        CollectionAssert.AreEqual(before, File.ReadAllBytes(resume), "the resume state is left as it was");
    }

    /// <summary>The answer by a plain loop: the whole n_ctx sequence fed each time, the argmax taken by hand.</summary>
    private static string PlainAnswer(SequenceLogits model, long x, long y)
    {
        const int length = 10, start = 6, vocab = 15;
        var tokens = new int[length];
        var text = $"{x:D2}+{y:D2}=";
        for (int i = 0; i < start; i++) tokens[i] = text[i] switch { '+' => 10, '=' => 12, var c => c - '0' };
        for (int p = start; p < length; p++)
        {
            var logits = model(tokens, 1, length);
            int best = 0;
            for (int u = 1; u < vocab; u++) if (logits[(p - 1) * vocab + u] > logits[(p - 1) * vocab + best]) best = u;
            tokens[p] = best;
        }
        return string.Concat(tokens[start..].Select(t => t switch { 10 => "+", 11 => "-", 12 => "=", _ => t.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }

    /// <summary>Cancels a run once it has taken <c>afterSteps</c> steps, as Ctrl-C does; records what it is told.</summary>
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
