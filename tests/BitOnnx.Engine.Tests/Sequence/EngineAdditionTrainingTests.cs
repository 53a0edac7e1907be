using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Sequence;

namespace BitOnnx.Engine.Tests.Sequence;

/// <summary>
/// A 3-digit addition model trained from scratch on the engine answers at least 99% of 10,000 fresh uniform questions
/// (greedy decoding, every answer token right): the recipe of TorchSharp's AdditionTrainingTests (2 layers of 4 heads,
/// d_model 64, d_mlp 256, full precision, batch 64 on Quirke et al.'s enriched data, their schedule at lr 3e-3) in
/// 800 steps instead of 1,200 (every batch answered from step 600 on), on one engine thread: 17 to 23 s of training
/// and 2.4 s of evaluation on a shared 2-core AMD EPYC (Zen 5 class, AVX-512).
/// </summary>
[TestClass]
public sealed class EngineAdditionTrainingTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void ThreeDigitAdditionReaches99PercentOnFreshQuestions()
    {
        var task = new ArithmeticTask(3, ArithmeticMix.Addition);
        var config = SequenceModelConfig.ForTask(task) with { DModel = 64, NHeads = 4, DHead = 16, DMlp = 256, NLayers = 2 };
        var options = new SequenceTrainingOptions { Steps = 800, LearningRate = 3e-3, Seed = 1, MetricsEvery = 200 };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var model = EngineSequenceTrainer.Train(config, task, options,
            p => TestContext.WriteLine($"step {p.Step} lr {p.LearningRate:G3} loss {p.Score.Loss:F4} answers right {p.Score.AnswerAccuracy:P1}"));
        TestContext.WriteLine($"trained in {watch.Elapsed.TotalSeconds:F1} s");
        var uniform = new ArithmeticTask(3, ArithmeticMix.Addition, ArithmeticEnrichment.None);
        var result = ArithmeticEvaluation.Evaluate(model.Logits, uniform, questions: 10_000, seed: 99);
        TestContext.WriteLine($"{result.Failures} failures, accuracy {result.Accuracy:P3} [{result.Interval.Lower:P3}, {result.Interval.Upper:P3}] after {watch.Elapsed.TotalSeconds:F1} s; "
            + string.Join(" ", result.ByClass.Select(c => $"{c.Class} {c.Failures}/{c.Questions}")) + " " + string.Join(" ", result.FirstFailures));
        Assert.IsTrue(result.Accuracy >= 0.99, $"{result.Failures} of 10,000 wrong: {string.Join(" ", result.FirstFailures)}");
        Assert.AreEqual("+1000", ArithmeticEvaluation.Answer(model.Logits, task.ParseQuestion("999+001")), "the longest cascade");
    }
}
