using BitOnnx.Core.Statistics;

namespace BitOnnx.Core.Tasks.Arithmetic;

/// <summary>Failures and questions of one quanta class (S0–S5, M0–M4, N1–N4).</summary>
public sealed record QuantaClassCount(string Class, long Questions, long Failures);

/// <summary>
/// A model's accuracy over fresh questions: every answer token decoded greedily and compared, the 95% Clopper–Pearson
/// interval of the accuracy, the count by quanta class, and the first failures as "question=model's answer".
/// </summary>
public sealed record ArithmeticAccuracy(long Questions, long Failures, ProbabilityInterval Interval,
    IReadOnlyList<QuantaClassCount> ByClass, IReadOnlyList<string> FirstFailures)
{
    public double Accuracy => Questions == 0 ? double.NaN : 1.0 - (double)Failures / Questions;
}

/// <summary>Greedy answers of an arithmetic model, one question or many (<see cref="GreedyDecoding"/>).</summary>
public static class ArithmeticEvaluation
{
    /// <summary>The model's answer to <paramref name="question"/>: its sign and n + 1 digits as tokens, "+066666" when it answers well.</summary>
    public static string Answer(SequenceLogits model, ArithmeticQuestion question) => Answers(model, [question])[0];

    /// <summary>The model's answers, each its n + 2 decoded tokens written by their names.</summary>
    public static string[] Answers(SequenceLogits model, IReadOnlyList<ArithmeticQuestion> questions)
    {
        if (questions.Count == 0) return [];
        int n = questions[0].Digits, length = ArithmeticQuestion.ContextLength(n), prompt = ArithmeticQuestion.SignPosition(n);
        var prompts = new int[questions.Count * prompt];
        var sequence = new int[length];
        for (int i = 0; i < questions.Count; i++)
        {
            if (questions[i].Digits != n) throw new ArgumentException("Every question must have the same number of digits.", nameof(questions));
            questions[i].WriteTokens(sequence);
            sequence.AsSpan(0, prompt).CopyTo(prompts.AsSpan(i * prompt));
        }
        var completed = GreedyDecoding.Complete(model, prompts, questions.Count, prompt, length, ArithmeticTokens.VocabularySize);
        var answers = new string[questions.Count];
        for (int i = 0; i < questions.Count; i++)
            answers[i] = string.Concat(completed.AsSpan(i * length + prompt, length - prompt).ToArray().Select(ArithmeticTokens.Vocabulary.Name));
        return answers;
    }

    /// <summary>
    /// Accuracy over <paramref name="questions"/> fresh questions of <paramref name="task"/>, drawn as its batches of
    /// <paramref name="seed"/> (steps 0, 1, ... of <paramref name="batchSize"/>); a task without enrichment draws them uniformly.
    /// </summary>
    public static ArithmeticAccuracy Evaluate(SequenceLogits model, ArithmeticTask task, long questions, long seed, int batchSize = 1000, int failuresKept = 10)
    {
        var classes = ArithmeticQuanta.ClassNames(task.Mix);
        var asked = classes.ToDictionary(c => c, _ => 0L);
        var failed = classes.ToDictionary(c => c, _ => 0L);
        var firstFailures = new List<string>();
        long failures = 0, done = 0;
        for (long step = 0; done < questions; step++)
        {
            int rows = (int)Math.Min(batchSize, questions - done);
            var batch = task.Generate(seed, step, rows).Questions;
            var answers = Answers(model, batch);
            for (int i = 0; i < rows; i++)
            {
                string cls = ArithmeticQuanta.ClassName(batch[i]);
                asked[cls]++;
                if (answers[i] == ArithmeticQuestion.FormatAnswer(batch[i].Answer, task.Digits)) continue;
                failures++;
                failed[cls]++;
                if (firstFailures.Count < failuresKept) firstFailures.Add($"{batch[i].Format()}={answers[i]}");
            }
            done += rows;
        }
        return new ArithmeticAccuracy(questions, failures, ClopperPearson.Interval(questions - failures, questions),
            classes.Select(c => new QuantaClassCount(c, asked[c], failed[c])).ToList(), firstFailures);
    }
}
