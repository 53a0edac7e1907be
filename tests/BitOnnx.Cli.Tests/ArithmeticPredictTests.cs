using System.Globalization;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Torch;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// <c>bitonnx export</c> of an arithmetic (sequence) checkpoint and <c>bitonnx predict</c> of its questions. The model is
/// a tiny random 3-digit addition model (ternary, d_model 8, two layers of two heads): its answers are mostly wrong, and
/// what is checked is that predict prints the answers and counts that TorchSharp's greedy decoding of the same
/// checkpoint gives, and that every bad input is one <c>error:</c> line.
/// </summary>
[TestClass]
public sealed class ArithmeticPredictTests
{
    private static readonly ArithmeticTask Add3 = new(3, ArithmeticMix.Addition);

    private static readonly Lazy<(string Checkpoint, string Onnx)> Model = new(() =>
    {
        var folder = CliProcess.TempFolder();
        Directory.CreateDirectory(folder);
        var checkpoint = Path.Combine(folder, "model.safetensors");
        var config = SequenceModelConfig.ForTask(Add3) with { DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, NLayers = 2, Quantization = WeightQuantization.Ternary };
        var random = SeededRandom.ForPurpose(21, "arithmetic-predict-tests");
        var parameters = config.Parameters().Select(p => new NamedTensor(p.Name, p.Shape,
            Enumerable.Range(0, p.Shape.Size).Select(_ => (float)((p.Kind == SequenceParameterKind.NormGain ? 1 : 0) + random.NextGaussian())).ToArray())).ToList();
        SequenceCheckpoint.Save(checkpoint, new SequenceCheckpoint.Contents(config, 21, 0, parameters, null, null));
        var onnx = Path.Combine(folder, "add3.onnx");
        var export = CliProcess.Run("export", checkpoint, "-o", onnx);
        Assert.AreEqual(0, export.ExitCode, export.Out + export.Error);
        StringAssert.Contains(export.Out, "quirke2024 ternary add3");
        return (checkpoint, onnx);
    });

    private static readonly Lazy<string> Modular = new(() =>
    {
        var run = CliProcess.TempFolder();
        var train = CliProcess.Run("train", "--p", "11", "--d-model", "16", "--n-heads", "2", "--d-mlp", "32", "--epochs", "2", "--out", run);
        Assert.AreEqual(0, train.ExitCode, train.Error);
        var onnx = Path.Combine(run, "modular.onnx");
        var export = CliProcess.Run("export", Path.Combine(run, "model.safetensors"), "-o", onnx);
        Assert.AreEqual(0, export.ExitCode, export.Error);
        return onnx;
    });

    [TestMethod]
    public void PredictPrintsTheAnswerTorchSharpDecodesFromTheCheckpoint()
    {
        TorchRuntime.SetThreads(1);
        using var torchModel = SequenceTransformer.Load(Model.Value.Checkpoint);
        foreach (var question in new[] { "999+001", "123+456", "000+000" })
        {
            var expected = $"{question}={ArithmeticEvaluation.Answer(torchModel.Logits, Add3.ParseQuestion(question))}";
            var r = CliProcess.Run("predict", Model.Value.Onnx, question);
            Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
            Assert.AreEqual(expected, r.Out.Trim(), "one line: the question, '=', the model's sign and four digits");
        }
    }

    [TestMethod]
    public void QuestionsPrintsTheAccuracyIntervalAndFailuresTorchSharpCounts()
    {
        TorchRuntime.SetThreads(1);
        using var torchModel = SequenceTransformer.Load(Model.Value.Checkpoint);
        var uniform = new ArithmeticTask(3, ArithmeticMix.Addition, ArithmeticEnrichment.None);
        var expected = ArithmeticEvaluation.Evaluate(torchModel.Logits, uniform, questions: 1500, seed: 4);
        var r = CliProcess.Run("predict", Model.Value.Onnx, "--questions", "1500", "--seed", "4");
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        var right = expected.Questions - expected.Failures;
        StringAssert.Contains(r.Out, string.Create(CultureInfo.InvariantCulture,
            $"{right}/1500 = {expected.Accuracy * 100:F3}%, 95% Clopper-Pearson interval [{expected.Interval.Lower * 100:F3}%, {expected.Interval.Upper * 100:F3}%]"));
        foreach (var c in expected.ByClass.Where(c => c.Questions > 0))
            StringAssert.Matches(r.Out, new System.Text.RegularExpressions.Regex($@"{c.Class}\s*│\s*{c.Questions}\s*│\s*{c.Failures}\s*│"), $"class {c.Class}");
        if (expected.FirstFailures.Count > 0) StringAssert.Contains(r.Out, string.Join(" ", expected.FirstFailures));
    }

    [TestMethod]
    [DataRow("a character that is not a digit", "'a' at character 3", "12a45+3")]
    [DataRow("an operand of the wrong width", "the first operand has 4 digits", "1234+321")]
    [DataRow("a subtraction for an addition model", "only adds", "123-321")]
    [DataRow("two numbers", "not two numbers", "5", "7")]
    [DataRow("--all", "use --questions N", "--all")]
    [DataRow("nothing to ask", "Give a question of task add3 such as 123+321")]
    [DataRow("a question and --questions", "not both", "123+321", "--questions", "5")]
    [DataRow("no questions", "asks for no questions", "--questions", "0")]
    public void BadInputToAnArithmeticModelIsOneErrorLine(string what, string message, params string[] args)
    {
        var r = CliProcess.Run(["predict", Model.Value.Onnx, .. args]);
        AssertOneErrorLine(r, message, what);
    }

    [TestMethod]
    public void AQuestionOrQuestionsForAModularAdditionModelIsOneErrorLine()
    {
        AssertOneErrorLine(CliProcess.Run("predict", Modular.Value, "12345+54321"), "is a modular-addition model (P = 11)", "a question");
        AssertOneErrorLine(CliProcess.Run("predict", Modular.Value, "--questions", "10"), "use --all", "--questions");
    }

    [TestMethod]
    public void AnArithmeticCheckpointRefusesModularOnlyExportOptionsInOneLine()
    {
        var output = Path.Combine(CliProcess.TempFolder(), "refused.onnx");
        var r = CliProcess.Run("export", Model.Value.Checkpoint, "-o", output, "--weights", "int2");
        AssertOneErrorLine(r, "leave out --weights int2", "--weights int2");
        Assert.IsFalse(File.Exists(output), "nothing written");
    }

    [TestMethod]
    public void ProbesAndWritableHooksAreExportedForAnArithmeticCheckpoint()
    {
        var output = Path.Combine(CliProcess.TempFolder(), "probes.onnx");
        var r = CliProcess.Run("export", Model.Value.Checkpoint, "-o", output, "--probes", "blocks.1.attn.hook_z", "--writable", "all");
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        using var session = Onnx.Runtime.SequenceSession.Open(output);
        CollectionAssert.AreEqual(new[] { "blocks.1.attn.hook_z" }, session.Probes.ToArray());
        Assert.IsTrue(session.WritableHooks.Contains("blocks.0.attn.hook_z") && !session.WritableHooks.Contains("logits"), string.Join(", ", session.WritableHooks));
        var bad = CliProcess.Run("export", Model.Value.Checkpoint, "-o", output, "--probes", "blocks.7.attn.hook_z");
        AssertOneErrorLine(bad, "Unknown probe name(s) 'blocks.7.attn.hook_z'", "an unknown probe");
    }

    private static void AssertOneErrorLine(CliProcess.Result r, string message, string what)
    {
        Assert.AreNotEqual(0, r.ExitCode, $"{what}: {r.Out}{r.Error}");
        var errors = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(1, errors.Length, $"{what}: {r.Error}");
        StringAssert.StartsWith(errors[0], "error: ", what);
        StringAssert.Contains(errors[0], message, what);
    }
}
