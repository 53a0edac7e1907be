using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// What a question set does under one ablation, in Quirke et al.'s measures: the questions that fail (any answer token
/// read otherwise than the correct one), their share as an integer percentage (truncated, as their int(100 · fails / n)),
/// the answer digits that broke ("A5..2") and the quanta classes of the failed questions ("S345" for additions, "M12"
/// and "N3" for subtractions with a non-negative and a negative answer: the class letter and its digits, ascending).
/// <see cref="DigitTags"/> counts the sub-task tags (BA, MC1, MS9, UC1, US9; MD, MB, MZ and ND, NB, NZ) of every broken
/// answer digit of every failed question: a node whose broken digits all carry US9 is one the sum-9 cascade needs.
/// </summary>
/// <remarks>
/// Their test also asks that the mean answer loss exceed 0.01 before a question counts; a wrong argmax puts the correct
/// token's probability below 1/2, a loss above ln 2 / (n + 2) &gt; 0.01 for any n ≤ 60, so the argmax alone decides.
/// </remarks>
public sealed record AblationOutcome(int Questions, IReadOnlyList<int> FailedRows, string Impact, IReadOnlyDictionary<string, string> ClassTags, IReadOnlyDictionary<string, int> DigitTags)
{
    public int Fails => FailedRows.Count;

    /// <summary>Their fail percentage, int(100 · fails / questions).</summary>
    public int FailPercent => (int)(100L * Fails / Questions);

    public bool Useful => Fails > 0;

    /// <summary>The digit tags by count, largest first: "BA 40, UC1 31, US9 9".</summary>
    public string DigitTagCounts => string.Join(", ", DigitTags.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal)
        .Select(t => $"{t.Key} {t.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));

    /// <summary>The class tags joined: "S345 M1".</summary>
    public string Classes => string.Join(' ', ClassTags.Values);

    public static AblationOutcome Measure(IHookedSequenceModel model, ArithmeticQuestionSet set, IReadOnlyList<SequenceHookWrite> writes) =>
        FromAnswers(set, set.Answers(model, writes));

    public static AblationOutcome FromAnswers(ArithmeticQuestionSet set, int[][] answers)
    {
        var failed = new List<int>();
        var digits = new List<int>();
        var digitTags = new Dictionary<string, int>(StringComparer.Ordinal);
        var classes = new SortedDictionary<char, SortedSet<char>>(Comparer<char>.Create((a, b) => Order(a).CompareTo(Order(b))));
        for (int row = 0; row < set.Count; row++)
        {
            bool fails = false;
            for (int k = 0; k < set.AnswerTokens; k++)
                if (answers[row][k] != set.Correct(row, k))
                {
                    fails = true;
                    digits.Add(set.Task.Digits + 1 - k);
                    foreach (var tag in TagsOf(set.Questions[row], set.Task.Digits + 1 - k)) digitTags[tag] = digitTags.GetValueOrDefault(tag) + 1;
                }
            if (!fails) continue;
            failed.Add(row);
            var name = ArithmeticQuanta.ClassName(set.Questions[row]);
            if (!classes.TryGetValue(name[0], out var seen)) classes[name[0]] = seen = [];
            foreach (var c in name[1..]) if (char.IsAsciiDigit(c)) seen.Add(c);
        }
        var tags = classes.ToDictionary(c => c.Key.ToString(), c => c.Key + string.Concat(c.Value));
        return new AblationOutcome(set.Count, failed, AnswerImpact.Name(digits), tags, digitTags);
    }

    /// <summary>The sub-task tags of answer digit <paramref name="digit"/> (none for the sign).</summary>
    private static string[] TagsOf(ArithmeticQuestion q, int digit)
    {
        if (digit > q.Digits) return [];
        var names = q.Operation == ArithmeticOperation.Addition
            ? AdditionQuanta.Names(AdditionQuanta.AnswerDigitTags(q)[digit])
            : SubtractionQuanta.Names(SubtractionQuanta.AnswerDigitTags(q)[digit], q.Answer < 0);
        return names.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static int Order(char letter) => letter switch { 'S' => 0, 'M' => 1, _ => 2 };
}
