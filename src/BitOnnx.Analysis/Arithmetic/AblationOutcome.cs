using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// What a question set does under one ablation, in Quirke et al.'s measures: the questions that fail (any answer token
/// read otherwise than the correct one), their share as an integer percentage (truncated, as their int(100 · fails / n)),
/// the answer digits that broke ("A5..2") and the quanta classes of the failed questions ("S345" for additions, "M12"
/// and "N3" for subtractions with a non-negative and a negative answer: the class letter and its digits, ascending).
/// </summary>
/// <remarks>
/// Their test also asks that the mean answer loss exceed 0.01 before a question counts; a wrong argmax puts the correct
/// token's probability below 1/2, a loss above ln 2 / (n + 2) &gt; 0.01 for any n ≤ 60, so the argmax alone decides.
/// </remarks>
public sealed record AblationOutcome(int Questions, IReadOnlyList<int> FailedRows, string Impact, IReadOnlyDictionary<string, string> ClassTags)
{
    public int Fails => FailedRows.Count;

    /// <summary>Their fail percentage, int(100 · fails / questions).</summary>
    public int FailPercent => (int)(100L * Fails / Questions);

    public bool Useful => Fails > 0;

    /// <summary>The class tags joined: "S345 M1".</summary>
    public string Classes => string.Join(' ', ClassTags.Values);

    public static AblationOutcome Measure(IHookedSequenceModel model, ArithmeticQuestionSet set, IReadOnlyList<SequenceHookWrite> writes) =>
        FromAnswers(set, set.Answers(model, writes));

    public static AblationOutcome FromAnswers(ArithmeticQuestionSet set, int[][] answers)
    {
        var failed = new List<int>();
        var digits = new List<int>();
        var classes = new SortedDictionary<char, SortedSet<char>>(Comparer<char>.Create((a, b) => Order(a).CompareTo(Order(b))));
        for (int row = 0; row < set.Count; row++)
        {
            bool fails = false;
            for (int k = 0; k < set.AnswerTokens; k++)
                if (answers[row][k] != set.Correct(row, k)) { fails = true; digits.Add(set.Task.Digits + 1 - k); }
            if (!fails) continue;
            failed.Add(row);
            var name = ArithmeticQuanta.ClassName(set.Questions[row]);
            if (!classes.TryGetValue(name[0], out var seen)) classes[name[0]] = seen = [];
            foreach (var c in name[1..]) if (char.IsAsciiDigit(c)) seen.Add(c);
        }
        var tags = classes.ToDictionary(c => c.Key.ToString(), c => c.Key + string.Concat(c.Value));
        return new AblationOutcome(set.Count, failed, AnswerImpact.Name(digits), tags);
    }

    private static int Order(char letter) => letter switch { 'S' => 0, 'M' => 1, _ => 2 };
}
