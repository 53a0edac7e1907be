using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// The questions Quirke et al.'s tools ask, as whole question-and-answer sequences (n_ctx tokens, teacher-forced): each
/// answer token An is read as the argmax of the logits at the position before it, as their logits_to_tokens_loss does.
/// </summary>
public sealed class ArithmeticQuestionSet
{
    public ArithmeticQuestionSet(ArithmeticTask task, IReadOnlyList<ArithmeticQuestion> questions)
    {
        if (questions.Count == 0) throw new AnalysisInputException("The question set is empty; give at least one question.");
        Task = task;
        Questions = questions;
        int n = task.ContextLength;
        Tokens = new int[questions.Count * n];
        for (int i = 0; i < questions.Count; i++) questions[i].WriteTokens(Tokens.AsSpan(i * n, n));
    }

    public ArithmeticTask Task { get; }
    public IReadOnlyList<ArithmeticQuestion> Questions { get; }

    /// <summary>Every sequence, [rows, n_ctx] row-major.</summary>
    public int[] Tokens { get; }

    public int Count => Questions.Count;
    public int Length => Task.ContextLength;

    /// <summary>The n + 2 answer tokens: the sign, then A(n) … A0.</summary>
    public int AnswerTokens => Task.Digits + 2;

    /// <summary>The position whose logits predict answer token k (0 the sign): the one before it.</summary>
    public int PredictingPosition(int k) => ArithmeticQuestion.SignPosition(Task.Digits) - 1 + k;

    /// <summary>
    /// <paramref name="count"/> questions as the task's training batches draw them (seeded; the enrichment makes cascades
    /// common, so that every quanta class is asked).
    /// </summary>
    public static ArithmeticQuestionSet Draw(ArithmeticTask task, int count, long seed) =>
        new(task, task.Generate(seed, step: 0, batchSize: count).Questions);

    /// <summary>The questions at <paramref name="rows"/>.</summary>
    public ArithmeticQuestionSet Subset(IEnumerable<int> rows) => new(Task, rows.Select(r => Questions[r]).ToArray());

    /// <summary>The correct answer token k of question <paramref name="row"/>.</summary>
    public int Correct(int row, int k) => Tokens[row * Length + ArithmeticQuestion.SignPosition(Task.Digits) + k];

    /// <summary>The answer tokens each question is read as ([rows][n + 2], sign first) from one pass's logits.</summary>
    public int[][] ReadAnswers(float[] logits)
    {
        int v = Task.OutputVocabularySize, t = Length;
        var answers = new int[Count][];
        for (int row = 0; row < Count; row++)
        {
            answers[row] = new int[AnswerTokens];
            for (int k = 0; k < AnswerTokens; k++)
            {
                var span = logits.AsSpan((row * t + PredictingPosition(k)) * v, v);
                int best = 0;
                for (int u = 1; u < v; u++) if (span[u] > span[best]) best = u; // the first of equals
                answers[row][k] = best;
            }
        }
        return answers;
    }

    /// <summary>The answers the model gives with <paramref name="writes"/> in place.</summary>
    public int[][] Answers(IHookedSequenceModel model, IReadOnlyList<SequenceHookWrite> writes) =>
        ReadAnswers(model.Run(Tokens, Count, Length, writes, []).Logits);

    /// <summary>The names of the answer digits that differ from the correct answer, largest first: "A7..4" as theirs.</summary>
    public string Impact(int row, int[] answer)
    {
        var names = new List<int>();
        for (int k = 0; k < AnswerTokens; k++)
            if (answer[k] != Correct(row, k)) names.Add(Task.Digits + 1 - k);
        return AnswerImpact.Name(names);
    }

    /// <summary>The name of position <paramref name="p"/> as their token_position_meanings: D4 … D0, +, D'4 … D'0, =, A6 … A0.</summary>
    public string PositionName(int p) => PositionNames(Task)[p];

    /// <summary>Every position's name for a task.</summary>
    public static string[] PositionNames(ArithmeticTask task)
    {
        int n = task.Digits;
        var names = new string[ArithmeticQuestion.ContextLength(n)];
        for (int i = 0; i < n; i++)
        {
            names[i] = "D" + (n - 1 - i).ToString(CultureInfo.InvariantCulture);
            names[n + 1 + i] = "D'" + (n - 1 - i).ToString(CultureInfo.InvariantCulture);
        }
        names[n] = task.Mix switch { ArithmeticMix.Addition => "+", ArithmeticMix.Subtraction => "-", _ => "OPR" };
        names[2 * n + 1] = "=";
        for (int k = 0; k < n + 2; k++) names[2 * n + 2 + k] = "A" + (n + 1 - k).ToString(CultureInfo.InvariantCulture);
        return names;
    }

    /// <summary>The task a sequence model was trained on, or a one-sentence error when it is not an arithmetic one.</summary>
    public static ArithmeticTask TaskOf(SequenceModelConfig config)
    {
        try
        {
            var task = ArithmeticTask.FromName(config.Task);
            if (task.ContextLength != config.NCtx || task.Vocabulary.Size != config.DVocab || task.OutputVocabularySize != config.DVocabOut)
                throw new AnalysisInputException($"The model's n_ctx {config.NCtx} and vocabularies {config.DVocab}/{config.DVocabOut} are not those of its task {task.Name} ({task.ContextLength}, {task.Vocabulary.Size}/{task.OutputVocabularySize}); give a model trained on that task.");
            return task;
        }
        catch (Core.Model.ConfigException)
        {
            throw new AnalysisInputException($"The model was trained on '{config.Task}', not an n-digit arithmetic task (add5, sub5, mix5); Quirke et al.'s tools read arithmetic models only.");
        }
    }
}
