using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>A question with the answer integer arithmetic gives and the one the model gave.</summary>
public sealed record CascadeAnswer(string Question, string Expected, string Answer)
{
    public bool Right => Expected == Answer;
}

/// <summary>
/// The questions that test a carry or borrow through every column, which uniform questions almost never ask (S5 is
/// 0.005% of 5-digit additions): 99999+00001 (a carry through all columns), 00000+00000, and 50000-50001 (a borrow
/// through all columns to a negative answer), as the task asks them at its width.
/// </summary>
public static class CascadeCases
{
    public static IReadOnlyList<ArithmeticQuestion> For(ArithmeticTask task)
    {
        int n = task.Digits;
        long nines = Pow10(n) - 1, half = 5 * Pow10(n - 1);
        var questions = new List<ArithmeticQuestion>();
        if (task.Mix != ArithmeticMix.Subtraction)
        {
            questions.Add(new ArithmeticQuestion(nines, 1, ArithmeticOperation.Addition, n));
            questions.Add(new ArithmeticQuestion(0, 0, ArithmeticOperation.Addition, n));
        }
        if (task.Mix != ArithmeticMix.Addition)
        {
            questions.Add(new ArithmeticQuestion(half, half + 1, ArithmeticOperation.Subtraction, n));
            questions.Add(new ArithmeticQuestion(0, 0, ArithmeticOperation.Subtraction, n));
        }
        return questions;
    }

    /// <summary>The model's answers to <see cref="For"/>'s questions beside integer arithmetic's.</summary>
    public static IReadOnlyList<CascadeAnswer> Ask(SequenceLogits model, ArithmeticTask task)
    {
        var questions = For(task);
        var answers = ArithmeticEvaluation.Answers(model, questions);
        return questions.Select((q, i) => new CascadeAnswer(q.Format(), ArithmeticQuestion.FormatAnswer(q.Answer, task.Digits), answers[i])).ToList();
    }

    private static long Pow10(int n)
    {
        long p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }
}
