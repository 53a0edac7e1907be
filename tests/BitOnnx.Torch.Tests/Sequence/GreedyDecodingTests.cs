using BitOnnx.Core.Statistics;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Sequence;
using TorchSharp;

namespace BitOnnx.Torch.Tests.Sequence;

/// <summary>Greedy decoding in the library against a plain loop that feeds the whole sequence each step and takes the argmax by hand.</summary>
[TestClass]
public sealed class GreedyDecodingTests
{
    private static readonly ArithmeticTask Add2 = new(2, ArithmeticMix.Addition);

    /// <summary>A model trained for a moment: its answers depend on the question, and are often wrong.</summary>
    private static SequenceTransformer PartlyTrainedModel() =>
        SequenceTrainer.Train(SequenceTransformerTests.Tiny(Add2), Add2, new SequenceTrainingOptions { Steps = 150, BatchSize = 32, LearningRate = 2e-2, Seed = 2 });

    /// <summary>The reference: n_ctx tokens fed every time (the unwritten ones 0), the next token the largest logit, the first of equals.</summary>
    private static string ReferenceAnswer(SequenceTransformer model, ArithmeticQuestion question)
    {
        int n = question.Digits, length = ArithmeticQuestion.ContextLength(n), start = ArithmeticQuestion.SignPosition(n);
        var tokens = new long[length];
        var full = new int[length];
        question.WriteTokens(full);
        for (int i = 0; i < start; i++) tokens[i] = full[i];
        for (int p = start; p < length; p++)
        {
            using var scope = torch.NewDisposeScope();
            var logits = model.Forward(torch.tensor(tokens, [1, length])).data<float>().ToArray();
            int best = 0;
            for (int u = 1; u < 15; u++) if (logits[(p - 1) * 15 + u] > logits[(p - 1) * 15 + best]) best = u;
            tokens[p] = best;
        }
        return string.Concat(tokens[start..].Select(t => ArithmeticTokens.Vocabulary.Name((int)t)));
    }

    [TestMethod]
    public void AnswersAreThoseOfAPlainLoop()
    {
        using var model = PartlyTrainedModel();
        var questions = Add2.Generate(seed: 3, step: 0, batchSize: 40).Questions;
        var answers = ArithmeticEvaluation.Answers(model.Logits, questions);
        for (int i = 0; i < questions.Count; i++)
            Assert.AreEqual(ReferenceAnswer(model, questions[i]), answers[i], questions[i].Format());
        Assert.IsTrue(answers.Distinct().Count() > 1, $"the model answers differently to different questions: {string.Join(" ", answers)}");
        Assert.AreEqual(answers[7], ArithmeticEvaluation.Answer(model.Logits, questions[7]));
    }

    /// <summary>A model that always answers right (the logits of the true next token 1, others 0) fails nothing; counts by class add up.</summary>
    [TestMethod]
    public void EvaluationCountsFailuresByQuantaClassWithTheInterval()
    {
        var task = new ArithmeticTask(3, ArithmeticMix.Addition, ArithmeticEnrichment.None);
        float[] Oracle(int[] tokens, int rows, int length)
        {
            var logits = new float[rows * length * 15];
            for (int i = 0; i < rows; i++)
            {
                var q = ArithmeticQuestion.FromTokens(tokens.AsSpan(i * length, length), 3);
                var full = new int[ArithmeticQuestion.ContextLength(3)];
                q.WriteTokens(full);
                // Wrong on purpose at the units digit of questions whose x ends in 7.
                int next = full[length];
                if (length == full.Length - 1 && q.X % 10 == 7) next = (next + 1) % 10;
                logits[((i * length) + length - 1) * 15 + next] = 1;
            }
            return logits;
        }
        var result = ArithmeticEvaluation.Evaluate(Oracle, task, questions: 2000, seed: 5, batchSize: 300);
        var questions = Enumerable.Range(0, 7).SelectMany(s => task.Generate(5, s, s < 6 ? 300 : 200).Questions).ToList();
        Assert.AreEqual(2000, result.Questions);
        Assert.AreEqual(questions.Count(q => q.X % 10 == 7), result.Failures);
        Assert.AreEqual(ClopperPearson.Interval(2000 - result.Failures, 2000), result.Interval);
        Assert.AreEqual(2000, result.ByClass.Sum(c => c.Questions));
        foreach (var cls in result.ByClass)
            Assert.AreEqual(questions.Count(q => q.X % 10 == 7 && ArithmeticQuanta.ClassName(q) == cls.Class), cls.Failures, cls.Class);
        Assert.AreEqual(10, result.FirstFailures.Count);
        var first = questions.First(q => q.X % 10 == 7);
        var wrong = ArithmeticQuestion.FormatAnswer(first.Answer, 3).ToCharArray();
        wrong[^1] = (char)('0' + (wrong[^1] - '0' + 1) % 10);
        Assert.AreEqual($"{first.Format()}={new string(wrong)}", result.FirstFailures[0]);
    }
}
