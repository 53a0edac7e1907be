using System.Globalization;

namespace BitOnnx.Core.Tasks.Arithmetic;

/// <summary>
/// The sub-tasks of addition as Quirke and Barez (2023, arXiv 2310.13121) and Quirke, Neo and Barez (2024, arXiv
/// 2402.02619) name them, each a fact of one column n (digits Dn, D'n; n = 0 the units) or of the column below it.
/// Answer digit An carries the tags of its own column and what it uses from column n − 1.
/// </summary>
[Flags]
public enum AdditionSubTask
{
    None = 0,
    /// <summary>BA, base add: (Dn + D'n) mod 10, needed by every An below the leading digit.</summary>
    BaseAdd = 1,
    /// <summary>MC1, make carry 1: Dn + D'n ≥ 10.</summary>
    MakeCarry1 = 2,
    /// <summary>MS9, make sum 9: Dn + D'n = 9, a column that passes a carry on.</summary>
    MakeSum9 = 4,
    /// <summary>UC1, use carry 1: column n − 1 makes a carry (MC1 there).</summary>
    UseCarry1 = 8,
    /// <summary>US9, use sum 9: column n − 1 sums to 9 and receives a carry, which cascades on into An.</summary>
    UseSum9 = 16,
}

/// <summary>
/// Quanta tags of an addition question: its cascade class S0–S5 and the sub-tasks of each answer digit.
/// <para>
/// The class follows Quirke et al.'s complexity tags (quanta_maths, maths_complexity): S0 when no column makes a carry;
/// otherwise S(1 + L), capped at S5, where L is the longest run of sum-9 columns directly above a carrying column,
/// that is, the number of columns one carry propagates through. S1: carries, none into a sum-9 column; S2: a carry
/// passes one sum-9 column (a simple US9); S5: through four or more (99999+00001, 44445+55555).
/// </para>
/// <para>
/// For uniform 5-digit questions the classes are far from even: S0 5.0%, S1 77.6%, S2 16.0%, S3 1.26%, S4 0.086%,
/// S5 0.005% (exact; the test derives them). The "about 5/21/34/28/11/2%" sometimes quoted for them is instead the distribution of
/// the number of carrying columns, binomial(5, 0.45), which <see cref="CarryCount"/> gives.
/// </para>
/// </summary>
public static class AdditionQuanta
{
    public const int MaxCascadeClass = 5;

    /// <summary>0 for S0 … 5 for S5.</summary>
    public static int CascadeClass(ArithmeticQuestion question)
    {
        int run = LongestCascade(question);
        return run < 0 ? 0 : Math.Min(1 + run, MaxCascadeClass);
    }

    /// <summary>"S0" … "S5".</summary>
    public static string CascadeClassName(int cascadeClass) => "S" + cascadeClass.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The longest run of sum-9 columns directly above a carrying column, uncapped; −1 when no column carries.
    /// </summary>
    public static int LongestCascade(ArithmeticQuestion question)
    {
        RequireAddition(question);
        int n = question.Digits, longest = -1;
        for (int c = 0; c < n; c++)
        {
            if (ColumnSum(question, c) < 10) continue;
            int run = 0;
            while (c + 1 + run < n && ColumnSum(question, c + 1 + run) == 9) run++;
            longest = Math.Max(longest, run);
        }
        return longest;
    }

    /// <summary>How many columns make a carry (Dn + D'n ≥ 10).</summary>
    public static int CarryCount(ArithmeticQuestion question)
    {
        RequireAddition(question);
        int count = 0;
        for (int c = 0; c < question.Digits; c++) if (ColumnSum(question, c) >= 10) count++;
        return count;
    }

    /// <summary>The sub-tasks of answer digits A0 (units) … A(n) (the leading digit, a carry alone), index = n.</summary>
    public static AdditionSubTask[] AnswerDigitTags(ArithmeticQuestion question)
    {
        RequireAddition(question);
        int n = question.Digits;
        var tags = new AdditionSubTask[n + 1];
        bool carryIn = false;
        for (int c = 0; c <= n; c++)
        {
            var t = AdditionSubTask.None;
            if (c < n)
            {
                int sum = ColumnSum(question, c);
                t |= AdditionSubTask.BaseAdd;
                if (sum >= 10) t |= AdditionSubTask.MakeCarry1;
                if (sum == 9) t |= AdditionSubTask.MakeSum9;
            }
            if (c > 0)
            {
                int below = ColumnSum(question, c - 1);
                if (below >= 10) t |= AdditionSubTask.UseCarry1;
                if (below == 9 && carryIn) t |= AdditionSubTask.UseSum9;
            }
            // The carry out of column c, which column c + 1 receives.
            carryIn = c < n && ColumnSum(question, c) + (carryIn ? 1 : 0) >= 10;
            tags[c] = t;
        }
        return tags;
    }

    /// <summary>"BA MC1", in the order BA, MC1, MS9, UC1, US9; "" for none.</summary>
    public static string Names(AdditionSubTask tags)
    {
        var names = new List<string>(5);
        if (tags.HasFlag(AdditionSubTask.BaseAdd)) names.Add("BA");
        if (tags.HasFlag(AdditionSubTask.MakeCarry1)) names.Add("MC1");
        if (tags.HasFlag(AdditionSubTask.MakeSum9)) names.Add("MS9");
        if (tags.HasFlag(AdditionSubTask.UseCarry1)) names.Add("UC1");
        if (tags.HasFlag(AdditionSubTask.UseSum9)) names.Add("US9");
        return string.Join(' ', names);
    }

    private static int ColumnSum(ArithmeticQuestion q, int column) => q.XDigit(column) + q.YDigit(column);

    private static void RequireAddition(ArithmeticQuestion question)
    {
        if (question.Operation != ArithmeticOperation.Addition)
            throw new ArgumentException($"{question.Format()} is not an addition; use SubtractionQuanta.", nameof(question));
    }
}
