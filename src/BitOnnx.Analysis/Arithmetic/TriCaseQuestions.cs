using BitOnnx.Core.Randomness;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>Quirke et al.'s tri-cases of an addition column: Dn + D'n below 9 (ST8), equal to 9 (ST9), above 9 (ST10).</summary>
public enum TriCase
{
    ST8,
    ST9,
    ST10,
}

/// <summary>
/// Addition questions that differ in one column's tri-case, as their tricase generator makes them: the column's digits
/// drawn for the case (ST8: x in 0..8, y in 0..8 − x; ST9: y = 9 − x; ST10: x in 1..9, y in 10 − x..9), the columns
/// above it zero, and the columns below it random but with x + y below 10^column, so no carry reaches the column.
/// </summary>
public static class TriCaseQuestions
{
    public static TriCase Of(ArithmeticQuestion q, int column)
    {
        int sum = q.XDigit(column) + q.YDigit(column);
        return sum < 9 ? TriCase.ST8 : sum == 9 ? TriCase.ST9 : TriCase.ST10;
    }

    /// <summary><paramref name="perCase"/> questions of each tri-case at <paramref name="column"/>, ST8 first, seeded.</summary>
    public static IReadOnlyList<ArithmeticQuestion> Addition(int digits, int column, int perCase, long seed)
    {
        if (column < 0 || column >= digits)
            throw new AnalysisInputException($"Column {column} is not a digit column of {digits}-digit questions; give one of 0 to {digits - 1}.");
        var random = SeededRandom.ForPurpose(seed, "tricase-questions");
        long limit = 1;
        for (int i = 0; i < column; i++) limit *= 10;
        var questions = new List<ArithmeticQuestion>(3 * perCase);
        foreach (var triCase in Enum.GetValues<TriCase>())
            for (int i = 0; i < perCase; i++)
            {
                int x, y;
                switch (triCase)
                {
                    case TriCase.ST8: x = random.NextInt(9); y = random.NextInt(9 - x); break;
                    case TriCase.ST9: x = random.NextInt(10); y = 9 - x; break;
                    default: x = 1 + random.NextInt(9); y = 10 - x + random.NextInt(x); break;
                }
                long xNoise = Below(random, limit), yNoise = Below(random, limit - xNoise);
                questions.Add(new ArithmeticQuestion(x * limit + xNoise, y * limit + yNoise, ArithmeticOperation.Addition, digits));
            }
        return questions;
    }

    /// <summary>Uniform in 0..bound − 1 for bounds past int (columns up to 18 digits).</summary>
    private static long Below(SeededRandom random, long bound) => (long)(random.NextUInt64() % (ulong)bound);
}
