using System.Globalization;

namespace BitOnnx.Core.Tasks.Arithmetic;

/// <summary>
/// The column facts of subtraction as Quirke, Neo and Barez (2024, arXiv 2402.02619) name them: MD (base difference
/// (Dn − D'n) mod 10), MB (borrow one: Dn &lt; D'n), MZ (make zero: Dn = D'n), written with the prefix N (ND, NB,
/// NZ) when the answer is negative.
/// </summary>
[Flags]
public enum SubtractionSubTask
{
    None = 0,
    BaseDifference = 1,
    BorrowOne = 2,
    MakeZero = 4,
}

/// <summary>
/// Quanta tags of a subtraction question, following Quirke et al.'s complexity tags (quanta_maths, maths_complexity):
/// for x ≥ y, M0 when no column borrows, otherwise M(1 + L) capped at M4, L the longest run of equal-digit columns
/// directly above a borrowing column (the borrow cascades through them: 1000 − 0001); for x &lt; y, N(1 + L) capped at
/// N4, where equal columns above the highest column with a nonzero digit (both operands' leading zeros) do not count.
/// A negative answer always has a borrowing column (the highest column where the operands differ), so there is no N0.
/// </summary>
public static class SubtractionQuanta
{
    public const int MaxCascadeClass = 4;

    /// <summary>"M0" … "M4" for x ≥ y, "N1" … "N4" for x &lt; y.</summary>
    public static string CascadeClassName(ArithmeticQuestion question) =>
        (question.Answer < 0 ? "N" : "M") + CascadeClass(question).ToString(CultureInfo.InvariantCulture);

    /// <summary>0 … 4: the number in <see cref="CascadeClassName"/>.</summary>
    public static int CascadeClass(ArithmeticQuestion question)
    {
        RequireSubtraction(question);
        int n = question.Digits;
        // Above the highest nonzero digit both operands are leading zeros: for a negative answer those equal columns
        // are not part of a cascade, as Quirke et al. count it.
        int top = n - 1;
        if (question.Answer < 0)
            while (top > 0 && question.XDigit(top) == 0 && question.YDigit(top) == 0) top--;
        int longest = -1;
        for (int c = 0; c < n; c++)
        {
            if (question.XDigit(c) >= question.YDigit(c)) continue;
            int run = 0;
            while (c + 1 + run <= top && question.XDigit(c + 1 + run) == question.YDigit(c + 1 + run)) run++;
            longest = Math.Max(longest, run);
        }
        return longest < 0 ? 0 : Math.Min(1 + longest, MaxCascadeClass);
    }

    /// <summary>The column facts of answer digits A0 … A(n−1), index = n; A(n) has no column and no tags.</summary>
    public static SubtractionSubTask[] AnswerDigitTags(ArithmeticQuestion question)
    {
        RequireSubtraction(question);
        var tags = new SubtractionSubTask[question.Digits + 1];
        for (int c = 0; c < question.Digits; c++)
        {
            int x = question.XDigit(c), y = question.YDigit(c);
            tags[c] = SubtractionSubTask.BaseDifference
                | (x < y ? SubtractionSubTask.BorrowOne : 0)
                | (x == y ? SubtractionSubTask.MakeZero : 0);
        }
        return tags;
    }

    /// <summary>"MD MB" (or "ND NB" for a negative answer); "" for none.</summary>
    public static string Names(SubtractionSubTask tags, bool negativeAnswer)
    {
        char p = negativeAnswer ? 'N' : 'M';
        var names = new List<string>(3);
        if (tags.HasFlag(SubtractionSubTask.BaseDifference)) names.Add(p + "D");
        if (tags.HasFlag(SubtractionSubTask.BorrowOne)) names.Add(p + "B");
        if (tags.HasFlag(SubtractionSubTask.MakeZero)) names.Add(p + "Z");
        return string.Join(' ', names);
    }

    private static void RequireSubtraction(ArithmeticQuestion question)
    {
        if (question.Operation != ArithmeticOperation.Subtraction)
            throw new ArgumentException($"{question.Format()} is not a subtraction; use AdditionQuanta.", nameof(question));
    }
}
