using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Core.Tests.Tasks.Arithmetic;

[TestClass]
public sealed class QuantaTests
{
    private static ArithmeticQuestion Q(string text) => ArithmeticQuestion.Parse(text, text.IndexOfAny(['+', '-']));

    [TestMethod]
    [DataRow("12345+54321", 0)]
    [DataRow("00000+00000", 0)]
    [DataRow("00005+00005", 1)]
    [DataRow("00015+00085", 2)]
    [DataRow("00195+00805", 3)]
    [DataRow("01995+08005", 4)]
    [DataRow("99999+00001", 5)]
    [DataRow("44445+55555", 5)]
    [DataRow("55555+55555", 1)]
    [DataRow("90005+10005", 1)]
    public void CascadeClassesOfHandWorkedQuestions(string text, int expected) =>
        Assert.AreEqual(expected, AdditionQuanta.CascadeClass(Q(text)), text);

    [TestMethod]
    public void TagsOf99999Plus00001()
    {
        // Units: 9 + 1 = 10 makes a carry; tens to ten-thousands: 9 + 0 = 9, each passing the carry on; A5 is the carry.
        var tags = AdditionQuanta.AnswerDigitTags(Q("99999+00001")).Select(AdditionQuanta.Names).ToArray();
        CollectionAssert.AreEqual(new[] { "BA MC1", "BA MS9 UC1", "BA MS9 US9", "BA MS9 US9", "BA MS9 US9", "US9" }, tags);
        Assert.AreEqual("S5", AdditionQuanta.CascadeClassName(AdditionQuanta.CascadeClass(Q("99999+00001"))));
    }

    [TestMethod]
    [DataRow("12345+54321")]
    [DataRow("00000+00000")]
    public void TagsOfQuestionsWithoutCarries(string text)
    {
        var tags = AdditionQuanta.AnswerDigitTags(Q(text)).Select(AdditionQuanta.Names).ToArray();
        CollectionAssert.AreEqual(new[] { "BA", "BA", "BA", "BA", "BA", "" }, tags);
        Assert.AreEqual(0, AdditionQuanta.CarryCount(Q(text)));
    }

    [TestMethod]
    public void TagsOf50000Minus50001()
    {
        // 50000 − 50001 = −1: the units borrow (0 < 1); every column above is equal (0 = 0, 5 = 5), so the borrow
        // cascades through all four: the hardest negative class.
        var q = Q("50000-50001");
        Assert.AreEqual("N4", SubtractionQuanta.CascadeClassName(q));
        var tags = SubtractionQuanta.AnswerDigitTags(q).Select(t => SubtractionQuanta.Names(t, negativeAnswer: true)).ToArray();
        CollectionAssert.AreEqual(new[] { "ND NB", "ND NZ", "ND NZ", "ND NZ", "ND NZ", "" }, tags);
    }

    [TestMethod]
    [DataRow("00000-00000", "M0")]
    [DataRow("54321-12345", "M2")]
    [DataRow("00010-00001", "M1")]
    [DataRow("00100-00001", "M2")]
    [DataRow("10000-00001", "M4")]
    [DataRow("00001-00010", "N1")]
    [DataRow("00000-00001", "N1")]
    [DataRow("00010-00011", "N2")]
    [DataRow("00100-00101", "N3")]
    public void SubtractionClassesOfHandWorkedQuestions(string text, string expected) =>
        Assert.AreEqual(expected, SubtractionQuanta.CascadeClassName(Q(text)), text);

    [TestMethod]
    public void EveryDrawnQuestionFallsInAListedClass()
    {
        var task = new ArithmeticTask(5, ArithmeticMix.Mixed);
        var listed = ArithmeticQuanta.ClassNames(ArithmeticMix.Mixed);
        Assert.AreEqual(6 + 5 + 4, listed.Count, "S0–S5, M0–M4, N1–N4");
        var seen = new HashSet<string>();
        for (long step = 0; step < 100; step++)
            foreach (var q in task.Generate(8, step, 64).Questions) seen.Add(ArithmeticQuanta.ClassName(q));
        Assert.IsTrue(seen.IsSubsetOf(listed), string.Join(",", seen.Except(listed)));
        Assert.IsTrue(seen.Count >= 10, $"enriched batches reach most classes: {string.Join(",", seen.Order())}");
        CollectionAssert.AreEqual(new[] { "S0", "S1", "S2", "S3", "S4", "S5" }, ArithmeticQuanta.ClassNames(ArithmeticMix.Addition).ToArray());
    }

    /// <summary>
    /// The tags carry the algorithm: each answer digit is its base add plus the carry its tags say it receives
    /// (UC1 or US9), for 20,000 random questions with cascades made common.
    /// </summary>
    [TestMethod]
    public void TagsRebuildEveryAnswerDigit()
    {
        var task = new ArithmeticTask(6, ArithmeticMix.Addition);
        for (long step = 0; step < 200; step++)
            foreach (var q in task.Generate(4, step, 100).Questions)
            {
                var tags = AdditionQuanta.AnswerDigitTags(q);
                for (int c = 0; c <= q.Digits; c++)
                {
                    int baseAdd = c < q.Digits ? (q.XDigit(c) + q.YDigit(c)) % 10 : 0;
                    int carry = (tags[c] & (AdditionSubTask.UseCarry1 | AdditionSubTask.UseSum9)) != 0 ? 1 : 0;
                    long expected = q.Answer / (long)Math.Pow(10, c) % 10;
                    Assert.AreEqual(expected, (baseAdd + carry) % 10, $"{q} digit A{c}");
                }
            }
    }

    /// <summary>
    /// Shares of S0–S5 over 100,000 uniform 5-digit questions against the exact shares. Column by column a digit pair
    /// carries (D + D' ≥ 10) in 45 of 100 cases, sums to 9 in 10, does neither in 45, independently; the exact share of
    /// each class is the sum over the 3^5 column patterns, computed here from the class's definition. Each class is
    /// tested at 5 binomial standard errors.
    /// </summary>
    [TestMethod]
    public void CascadeSharesOfUniformQuestionsAreTheExactOnes()
    {
        var exact = ExactCascadeShares(5);
        // S0 is 0.55^5; the rest as the definition gives them.
        Assert.AreEqual(Math.Pow(0.55, 5), exact[0], 1e-15);
        Assert.AreEqual(1.0, exact.Sum(), 1e-12);
        double[] percent = [5.0328, 77.5747, 16.0425, 1.2600, 0.0855, 0.0045];
        for (int k = 0; k < 6; k++) Assert.AreEqual(percent[k], 100 * exact[k], 1e-4, $"S{k}, as AdditionQuanta's summary states it");

        const int samples = 100_000;
        var counts = new long[6];
        var task = new ArithmeticTask(5, ArithmeticMix.Addition, ArithmeticEnrichment.None);
        for (long step = 0; step * 1000 < samples; step++)
            foreach (var q in task.Generate(21, step, 1000).Questions) counts[AdditionQuanta.CascadeClass(q)]++;
        for (int k = 0; k < 6; k++)
        {
            double sigma = Math.Sqrt(exact[k] * (1 - exact[k]) / samples);
            Assert.AreEqual(exact[k], (double)counts[k] / samples, 5 * sigma + 1e-12, $"S{k}: {counts[k]} of {samples}");
        }
    }

    /// <summary>
    /// S0–S5 are sometimes quoted as "about 5/21/34/28/11/2%" at 5 digits. Those are not the cascade classes (S1 alone
    /// is 77.6%, above), but the shares of 0…5 carrying columns, binomial(5, 0.45): 5.0, 20.6, 33.7, 27.6, 11.3, 1.8%.
    /// This test holds both facts, so that a reader of those numbers knows which to expect.
    /// </summary>
    [TestMethod]
    public void QuotedSharesAreTheCountOfCarryingColumns()
    {
        double[] stated = [0.05, 0.21, 0.34, 0.28, 0.11, 0.02];
        var binomial = Enumerable.Range(0, 6).Select(k => Choose(5, k) * Math.Pow(0.45, k) * Math.Pow(0.55, 5 - k)).ToArray();
        for (int k = 0; k < 6; k++) Assert.AreEqual(stated[k], binomial[k], 0.005, $"{k} carrying columns");
        Assert.IsTrue(Math.Abs(stated[1] - ExactCascadeShares(5)[1]) > 0.5, "S1 as a cascade class is far from 21%");

        const int samples = 100_000;
        var counts = new long[6];
        var task = new ArithmeticTask(5, ArithmeticMix.Addition, ArithmeticEnrichment.None);
        for (long step = 0; step * 1000 < samples; step++)
            foreach (var q in task.Generate(22, step, 1000).Questions) counts[AdditionQuanta.CarryCount(q)]++;
        for (int k = 0; k < 6; k++)
            Assert.AreEqual(binomial[k], (double)counts[k] / samples, 5 * Math.Sqrt(binomial[k] * (1 - binomial[k]) / samples));
    }

    /// <summary>Exact class shares for uniform n-digit questions, by enumerating carry (C), sum-9 (S), other (O) columns.</summary>
    private static double[] ExactCascadeShares(int n)
    {
        var shares = new double[6];
        int patterns = (int)Math.Pow(3, n);
        for (int code = 0; code < patterns; code++)
        {
            var column = new char[n];
            double p = 1;
            for (int c = 0, rest = code; c < n; c++, rest /= 3)
            {
                column[c] = "CSO"[rest % 3];
                p *= column[c] == 'S' ? 0.10 : 0.45;
            }
            int cls = 0;
            for (int c = 0; c < n; c++)
            {
                if (column[c] != 'C') continue;
                int through = 0;
                for (int up = c + 1; up < n && column[up] == 'S'; up++) through++;
                cls = Math.Max(cls, Math.Min(5, 1 + through));
            }
            shares[cls] += p;
        }
        return shares;
    }

    private static double Choose(int n, int k)
    {
        double r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return r;
    }
}
