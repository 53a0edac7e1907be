using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Core.Tests.Tasks.Arithmetic;

/// <summary>
/// The generator against its specification (Quirke et al. 2024, as <see cref="ArithmeticEnrichment"/> states it),
/// read back from the tokens alone: widths and layout, answers against integer arithmetic done here, the enrichment
/// shares within sampling error, and seeding. Shares are tested at 5 binomial standard errors σ = sqrt(p(1 − p) / N).
/// </summary>
[TestClass]
public sealed class ArithmeticDataTests
{
    private const int Samples = 100_000;
    private const double Sigmas = 5;

    /// <summary>x, y, operator and signed answer read from one sequence's tokens, by their positions alone.</summary>
    private static (long X, long Y, int Op, long Answer, int[] XDigits, int[] YDigits) Read(ReadOnlySpan<int> s, int n)
    {
        Assert.AreEqual(3 * n + 4, s.Length);
        long x = 0, y = 0, answer = 0;
        var xd = new int[n];
        var yd = new int[n];
        for (int i = 0; i < n; i++)
        {
            Assert.IsTrue(s[i] is >= 0 and <= 9 && s[n + 1 + i] is >= 0 and <= 9, "operand tokens are digits");
            xd[i] = s[i];
            yd[i] = s[n + 1 + i];
            x = x * 10 + s[i];
            y = y * 10 + s[n + 1 + i];
        }
        Assert.IsTrue(s[n] is 10 or 11, "the operator is + or -");
        Assert.AreEqual(12, s[2 * n + 1], "'=' closes the question");
        Assert.IsTrue(s[2 * n + 2] is 10 or 11, "the answer starts with its sign");
        for (int i = 2 * n + 3; i < 3 * n + 4; i++)
        {
            Assert.IsTrue(s[i] is >= 0 and <= 9, "n + 1 answer digits");
            answer = answer * 10 + s[i];
        }
        return (x, y, s[n], s[2 * n + 2] == 11 ? -answer : answer, xd, yd);
    }

    private static void AssertShare(double expected, long hits, long trials, string what)
    {
        double share = (double)hits / trials, sigma = Math.Sqrt(expected * (1 - expected) / trials);
        Assert.IsTrue(Math.Abs(share - expected) <= Sigmas * sigma + 1e-12,
            $"{what}: {share:F5} over {trials} against {expected:F5} (σ = {sigma:F5})");
    }

    [TestMethod]
    [DataRow(ArithmeticMix.Addition, 5)]
    [DataRow(ArithmeticMix.Subtraction, 5)]
    [DataRow(ArithmeticMix.Mixed, 5)]
    [DataRow(ArithmeticMix.Mixed, 1)]
    [DataRow(ArithmeticMix.Mixed, 15)]
    public void EveryAnswerIsIntegerArithmetic(ArithmeticMix mix, int n)
    {
        var task = new ArithmeticTask(n, mix);
        int checkedRows = 0, negatives = 0;
        for (long step = 0; checkedRows < Samples / 5; step++)
        {
            var batch = task.Batch(seed: 3, step, batchSize: 64);
            Assert.AreEqual(task.ContextLength, batch.ContextLength);
            for (int i = 0; i < batch.Count; i++, checkedRows++)
            {
                var (x, y, op, answer, _, _) = Read(batch.Sequence(i), n);
                Assert.AreEqual(op == 10 ? x + y : x - y, answer, $"row {i} of step {step}");
                if (mix == ArithmeticMix.Addition) Assert.AreEqual(10, op);
                if (mix == ArithmeticMix.Subtraction) Assert.AreEqual(11, op);
                if (answer < 0) negatives++;
                // Teacher forcing: slot k's target is the answer token at its target position.
                for (int s = 0; s < task.Slots.Count; s++)
                    Assert.AreEqual(batch.Sequence(i)[task.Slots[s].TargetPosition!.Value], batch.TargetsOf(i)[s]);
            }
        }
        if (mix != ArithmeticMix.Addition && n > 1) Assert.IsTrue(negatives > 0, "subtraction draws negative answers");
    }

    [TestMethod]
    public void AdditionEnrichmentSharesAreTheStatedOnes()
    {
        const int n = 5, rows = 16;
        var task = new ArithmeticTask(n, ArithmeticMix.Addition);
        long batches = 0, enriched = 0, enrichedPositions = 0, enrichedSumNine = 0, plainPositions = 0, plainSumNine = 0, plainCarries = 0;
        for (long step = 0; step * rows < Samples; step++)
        {
            var batch = task.Generate(seed: 11, step, rows);
            var part = batch.Parts.Single();
            bool isEnriched = part.Enrichment == EnrichmentKind.SumNine;
            Assert.IsTrue(isEnriched || part.Enrichment == EnrichmentKind.None);
            batches++;
            if (isEnriched) enriched++;
            int sumNine = 0;
            for (int i = 0; i < rows; i++)
            {
                var (_, _, _, _, xd, yd) = Read(batch.Labelled.Sequence(i), n);
                for (int d = 0; d < n; d++)
                {
                    if (xd[d] + yd[d] == 9) sumNine++;
                    if (!isEnriched && xd[d] + yd[d] >= 10) plainCarries++;
                }
            }
            if (isEnriched)
            {
                // Exactly ⌊0.4 · 80⌋ = 32 positions were rewritten; the other 48 sum to 9 by chance (1 in 10).
                Assert.IsTrue(sumNine >= 32, $"step {step}: {sumNine} sum-9 positions, fewer than the 32 rewritten");
                enrichedPositions += rows * n;
                enrichedSumNine += sumNine;
            }
            else
            {
                plainPositions += rows * n;
                plainSumNine += sumNine;
            }
        }
        AssertShare(0.6, enriched, batches, "enriched batches");
        // In enriched batches 40% of positions sum to 9 by construction and the other 60% with probability 1/10: 0.46.
        // Only the unrewritten ones vary, so σ = sqrt(0.6 N · 0.1 · 0.9) / N; the check below scales the share to them.
        long unrewritten = enrichedPositions * 3 / 5;
        AssertShare(0.1, enrichedSumNine - enrichedPositions * 2 / 5, unrewritten, "chance sum-9 among unrewritten positions");
        AssertShare(0.1, plainSumNine, plainPositions, "sum-9 positions in plain batches");
        AssertShare(0.45, plainCarries, plainPositions, "carrying positions (D + D' ≥ 10) in plain batches");
    }

    [TestMethod]
    public void SubtractionEnrichmentSharesAreTheStatedOnes()
    {
        const int n = 5, rows = 8;
        var task = new ArithmeticTask(n, ArithmeticMix.Subtraction);
        long batches = 0, enriched = 0, equal = 0, incDigits = 0, incNines = 0, plainDigits = 0, plainNines = 0, plainZeros = 0, incXNines = 0;
        for (long step = 0; step * rows < 2 * Samples; step++)
        {
            var batch = task.Generate(seed: 12, step, rows);
            var kind = batch.Parts.Single().Enrichment;
            batches++;
            if (kind != EnrichmentKind.None) enriched++;
            if (kind == EnrichmentKind.EqualOperands) equal++;
            for (int i = 0; i < rows; i++)
            {
                var (x, y, _, answer, xd, yd) = Read(batch.Labelled.Sequence(i), n);
                switch (kind)
                {
                    case EnrichmentKind.EqualOperands:
                        Assert.AreEqual(x, y, "y = x");
                        Assert.AreEqual(0, answer);
                        break;
                    case EnrichmentKind.IncrementSecond:
                        Assert.IsFalse(yd.Contains(0), "an incremented digit is never 0");
                        incDigits += n;
                        incNines += yd.Count(d => d == 9);
                        incXNines += xd.Count(d => d == 9);
                        break;
                    case EnrichmentKind.None:
                        plainDigits += n;
                        plainNines += yd.Count(d => d == 9);
                        plainZeros += yd.Count(d => d == 0);
                        break;
                    default:
                        Assert.Fail($"subtraction part enriched as {kind}");
                        break;
                }
            }
        }
        AssertShare(0.6, enriched, batches, "enriched batches");
        AssertShare(0.01, equal, enriched, "y = x among enriched batches");
        AssertShare(0.2, incNines, incDigits, "second-operand 9s after incrementing (8 and 9 both become 9)");
        AssertShare(0.1, incXNines, incDigits, "first-operand 9s, untouched");
        AssertShare(0.1, plainNines, plainDigits, "second-operand 9s in plain batches");
        AssertShare(0.1, plainZeros, plainDigits, "second-operand 0s in plain batches");
    }

    [TestMethod]
    public void MixedBatchesAreTwoThirdsSubtraction()
    {
        var task = new ArithmeticTask(5, ArithmeticMix.Mixed);
        for (long step = 0; step < 50; step++)
        {
            var batch = task.Generate(seed: 5, step, 64);
            // ⌊64 · 66 / 100⌋ = 42 subtractions after 22 additions.
            for (int i = 0; i < 64; i++) Assert.AreEqual(i < 22 ? 10 : 11, batch.Labelled.Sequence(i)[5], $"row {i}");
            Assert.AreEqual(2, batch.Parts.Count);
            Assert.AreEqual(42, batch.Parts[1].Count);
        }
    }

    [TestMethod]
    public void SameSeedAndStepGiveTheSameBatchInAnyOrder()
    {
        var task = new ArithmeticTask(5, ArithmeticMix.Mixed);
        var late = task.Batch(seed: 9, step: 5, batchSize: 64);
        for (long step = 0; step < 5; step++) task.Batch(9, step, 64);
        var again = new ArithmeticTask(5, ArithmeticMix.Mixed).Batch(9, 5, 64);
        CollectionAssert.AreEqual(late.Tokens, again.Tokens, "a batch is a function of (seed, step, size)");
        CollectionAssert.AreEqual(late.Targets, again.Targets);
    }

    [TestMethod]
    public void OtherSeedsAndStepsDiffer()
    {
        var task = new ArithmeticTask(5, ArithmeticMix.Addition);
        var a = task.Batch(0, 0, 64).Tokens;
        CollectionAssert.AreNotEqual(a, task.Batch(1, 0, 64).Tokens, "seed 1 differs from seed 0");
        CollectionAssert.AreNotEqual(a, task.Batch(0, 1, 64).Tokens, "step 1 differs from step 0");
        CollectionAssert.AreNotEqual(task.Batch(1, 0, 64).Tokens, task.Batch(0, 1, 64).Tokens, "(1, 0) differs from (0, 1)");
    }

    [TestMethod]
    public void UnenrichedQuestionsAreUniform()
    {
        // With enrichment off, each operand is uniform on 0..99999: its mean is 49999.5 with σ ≈ 28868 / sqrt(N).
        var task = new ArithmeticTask(5, ArithmeticMix.Addition, ArithmeticEnrichment.None);
        double sum = 0;
        int count = 0;
        for (long step = 0; count < 20_000; step++)
        {
            var b = task.Generate(2, step, 100);
            Assert.AreEqual(EnrichmentKind.None, b.Parts[0].Enrichment);
            foreach (var q in b.Questions) { sum += q.X + q.Y; count += 2; }
        }
        double sigma = Math.Sqrt((1e10 - 1) / 12.0 / count);
        Assert.AreEqual(49_999.5, sum / count, Sigmas * sigma);
    }
}
