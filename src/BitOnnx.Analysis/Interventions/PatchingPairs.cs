using BitOnnx.Core.Randomness;

namespace BitOnnx.Analysis.Interventions;

/// <summary>How each clean pair (a, b) gets its corrupted partner when patching over all P² pairs.</summary>
public enum PartnerRule
{
    /// <summary>(a′, b′) drawn uniformly, seeded, among the pairs whose answer differs: a′ uniform, then b′ = c + s − a′ with s uniform in 1..P−1.</summary>
    Random,

    /// <summary>(a + 1 mod P, b): only the first addend changes.</summary>
    NextA,

    /// <summary>(a, b + 1 mod P): only the second addend changes.</summary>
    NextB,
}

/// <summary>
/// The inputs activation patching compares, row by row: each row a clean pair (a, b) and its corrupted partner (a′, b′),
/// whose answers differ (so the logit difference of the two answers measures which one the model gives).
/// </summary>
public sealed class PatchingPairs
{
    private PatchingPairs(int p, int[] clean, int[] corrupt, string rule)
    {
        P = p;
        Clean = clean;
        Corrupt = corrupt;
        Rule = rule;
    }

    public int P { get; }

    /// <summary>The clean pairs as rows a·P + b.</summary>
    public IReadOnlyList<int> Clean { get; }

    /// <summary>Each clean row's corrupted partner, as a row a′·P + b′.</summary>
    public IReadOnlyList<int> Corrupt { get; }

    /// <summary>How the partners were chosen, in words (for tables and reports).</summary>
    public string Rule { get; }

    public int Rows => Clean.Count;

    public int[] CleanAnswers => Clean.Select(r => Answer(r, P)).ToArray();

    public int[] CorruptAnswers => Corrupt.Select(r => Answer(r, P)).ToArray();

    /// <summary>One clean pair and one corrupted pair, each 0 ≤ a, b &lt; P, with different answers.</summary>
    public static PatchingPairs One(int p, (int A, int B) clean, (int A, int B) corrupt)
    {
        Require(p, clean, "clean");
        Require(p, corrupt, "corrupted");
        int cleanRow = clean.A * p + clean.B, corruptRow = corrupt.A * p + corrupt.B;
        if (Answer(cleanRow, p) == Answer(corruptRow, p))
            throw new AnalysisInputException($"The clean pair {clean.A},{clean.B} and the corrupted pair {corrupt.A},{corrupt.B} have the same answer " +
                $"{Answer(cleanRow, p)} (mod {p}); choose a corrupted pair whose sum differs, or patching measures nothing.");
        return new PatchingPairs(p, [cleanRow], [corruptRow], $"clean ({clean.A}, {clean.B}), corrupted ({corrupt.A}, {corrupt.B})");
    }

    /// <summary>Every pair (a, b), row a·P + b, with its partner by <paramref name="rule"/>.</summary>
    public static PatchingPairs All(int p, PartnerRule rule, long seed = 0)
    {
        if (p < 2) throw new AnalysisInputException($"Patching needs P ≥ 2 to have a corrupted answer; P is {p}.");
        var clean = Enumerable.Range(0, p * p).ToArray();
        var corrupt = new int[clean.Length];
        var random = SeededRandom.ForPurpose(seed, "patching partners");
        foreach (var row in clean)
        {
            int a = row / p, b = row % p;
            corrupt[row] = rule switch
            {
                PartnerRule.NextA => (a + 1) % p * p + b,
                PartnerRule.NextB => a * p + (b + 1) % p,
                _ => RandomPartner(p, (a + b) % p, random),
            };
        }
        var words = rule switch
        {
            PartnerRule.NextA => "every pair (a, b) against (a + 1 mod P, b)",
            PartnerRule.NextB => "every pair (a, b) against (a, b + 1 mod P)",
            _ => $"every pair (a, b) against a pair drawn with another answer (seed {seed})",
        };
        return new PatchingPairs(p, clean, corrupt, words);
    }

    /// <summary>Token rows [rows, 3] of the clean or the corrupted pairs: [a, b, =] with '=' the token P.</summary>
    public long[] Tokens(bool corrupted)
    {
        var rows = corrupted ? Corrupt : Clean;
        var tokens = new long[rows.Count * 3];
        for (var r = 0; r < rows.Count; r++)
        {
            tokens[3 * r] = rows[r] / P;
            tokens[3 * r + 1] = rows[r] % P;
            tokens[3 * r + 2] = P;
        }
        return tokens;
    }

    private static int RandomPartner(int p, int answer, SeededRandom random)
    {
        var a = random.NextInt(p);
        var shift = 1 + random.NextInt(p - 1);
        var b = ((answer + shift - a) % p + p) % p;
        return a * p + b;
    }

    private static int Answer(int row, int p) => (row / p + row % p) % p;

    private static void Require(int p, (int A, int B) pair, string which)
    {
        if (pair.A < 0 || pair.B < 0 || pair.A >= p || pair.B >= p)
            throw new AnalysisInputException($"The {which} pair {pair.A},{pair.B} is outside 0..{p - 1} (P = {p}).");
    }
}
