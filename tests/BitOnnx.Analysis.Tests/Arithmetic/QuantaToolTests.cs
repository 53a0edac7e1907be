using BitOnnx.Analysis.Arithmetic;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Arithmetic;

/// <summary>
/// Quirke et al.'s tools on a hand-planted adder (PlantedAdder), each against what the planting says on paper or
/// against a plain loop that does the ablation by hand through Run.
/// </summary>
[TestClass]
public sealed class QuantaToolTests
{
    private static readonly ArithmeticQuestionSet Set = ArithmeticQuestionSet.Draw(PlantedAdder.Task, 200, seed: 7);

    [TestMethod]
    public void ThePlantedAdderAnswersEveryQuestion() =>
        Assert.AreEqual(0, AblationOutcome.Measure(new PlantedAdder(), Set, []).Fails);

    [TestMethod]
    public void UsefulPositionsAreTheAnswerPositionsWhoseMeanAblatedDigitIsWrong()
    {
        var positions = UsefulPositions.Find(new PlantedAdder(), Set);
        Assert.AreEqual(PlantedAdder.Length, positions.Count);
        for (int p = 0; p < PlantedAdder.Length; p++)
        {
            var expected = new List<int>();
            if (PlantedAdder.Column(p) is int m)
            {
                // Closed form: the mean residual is (mean Dm, mean D'm, mean carry); its sum mod 10 read to the nearest digit.
                double sum = 0;
                foreach (var q in Set.Questions)
                    sum += (m < 2 ? q.XDigit(m) + q.YDigit(m) : 0) + CarryInto(q, m);
                double target = sum / Set.Count % 10;
                int digit = Enumerable.Range(0, 10).MinBy(u => (u - target) * (u - target));
                for (int row = 0; row < Set.Count; row++)
                    if (AnswerDigit(Set.Questions[row], m) != digit) expected.Add(row);
                Assert.AreEqual(expected.Count == 0 ? "" : $"A{m}", positions[p].Outcome.Impact, $"position {p}");
            }
            CollectionAssert.AreEqual(expected, positions[p].Outcome.FailedRows.ToList(), $"position {p}");
        }
        // A position is named by the token it holds (as their token_position_meanings), and predicts the next one.
        CollectionAssert.AreEqual(new[] { "A3", "A2", "A1" }, positions.Where(p => p.Outcome.Useful).Select(p => p.Name).ToArray());
        CollectionAssert.AreEqual(new[] { 6, 7, 8 }, positions.Where(p => p.Outcome.Useful).Select(p => p.Position).ToArray());
    }

    [TestMethod]
    public void UsefulNodeCountsAreAPlainMeanAblationLoopThroughRun()
    {
        var model = new PlantedAdder();
        var c = model.Config;
        int t = PlantedAdder.Length;
        int[] positions = [6, 7, 8];
        var nodes = UsefulNodes.Measure(model, Set, positions);
        Assert.AreEqual(positions.Length * (c.NHeads + 1), nodes.Count);
        var clean = model.Run(Set.Tokens, Set.Count, t, [], [HookNames.Z(0), HookNames.MlpPost(0)]);
        foreach (var p in positions)
            for (int unit = 0; unit <= c.NHeads; unit++)
            {
                bool head = unit < c.NHeads;
                string hook = head ? HookNames.Z(0) : HookNames.MlpPost(0);
                int width = head ? c.NHeads : 1, index = p * width + (head ? unit : 0); // d_head = d_mlp = 1
                double mean = 0;
                for (int row = 0; row < Set.Count; row++) mean += clean.Hooks[hook][row * t * width + index];
                mean /= Set.Count;
                var mask = new float[t * width];
                var values = new float[t * width];
                mask[index] = 1;
                values[index] = (float)mean;
                var logits = model.Run(Set.Tokens, Set.Count, t, [new SequenceHookWrite(hook, mask, values)], []).Logits;
                var failed = new List<int>();
                var digits = new SortedSet<int>();
                for (int row = 0; row < Set.Count; row++)
                {
                    bool wrong = false;
                    for (int k = 0; k < 4; k++) // the sign and A2 A1 A0, read at positions 5..8
                    {
                        int best = 0;
                        for (int u = 1; u < c.DVocabOut; u++)
                            if (logits[((row * t) + 5 + k) * c.DVocabOut + u] > logits[((row * t) + 5 + k) * c.DVocabOut + best]) best = u;
                        if (best != Set.Tokens[row * t + 6 + k]) { wrong = true; digits.Add(3 - k); }
                    }
                    if (wrong) failed.Add(row);
                }
                var found = nodes.Single(n => n.Node.Position == p && n.Node.Head == (head ? unit : null));
                CollectionAssert.AreEqual(failed, found.Outcome.FailedRows.ToList(), found.Node.Name);
                Assert.AreEqual(digits.Count == 0 ? "" : "A" + string.Concat(digits.Reverse()), found.Outcome.Impact, found.Node.Name);
                Assert.AreEqual((int)(100L * failed.Count / Set.Count), found.Outcome.FailPercent, found.Node.Name);
            }
    }

    [TestMethod]
    public void NodeImpactsAndClassesAreWhatThePlantingSays()
    {
        var nodes = UsefulNodes.Measure(new PlantedAdder(), Set, [6, 7, 8]);
        NodeAblation Node(string name) => nodes.Single(n => n.Node.Name == name);
        // Head 0 at P8 carries D0 into A0 alone; head 1 at P6 reads '=' (always 0), so its mean is its value.
        Assert.AreEqual("A0", Node("P8L0H0").Outcome.Impact);
        Assert.IsFalse(Node("P6L0H1").Outcome.Useful);
        // The MLP at P7 is the carry into column 1: the questions that fail are exactly those with a carry out of column
        // 0 (the mean carry, under one half, reads as none), and none of them is S0.
        var carry = Node("P7L0MLP").Outcome;
        var expected = Enumerable.Range(0, Set.Count).Where(r => CarryInto(Set.Questions[r], 1) == 1).ToList();
        CollectionAssert.AreEqual(expected, carry.FailedRows.ToList());
        Assert.AreEqual("A1", carry.Impact);
        var classes = expected.Select(r => ArithmeticQuanta.ClassName(Set.Questions[r])[1]).Distinct().Order();
        Assert.AreEqual("S" + string.Concat(classes), carry.ClassTags["S"]);
        Assert.IsFalse(carry.ClassTags["S"].Contains('0'));
        // Each failed question broke A1 alone, and A1 of each uses the carry of the units (UC1); nothing cascades into it.
        Assert.AreEqual(expected.Count, carry.DigitTags["UC1"]);
        Assert.AreEqual(expected.Count, carry.DigitTags["BA"]);
        Assert.IsFalse(carry.DigitTags.ContainsKey("US9"));
    }

    [TestMethod]
    public void AttentionTagsAreThePlantedPattern()
    {
        var tags = AttentionTags.Of(new PlantedAdder(), Set, [new QuantaNode(7, 0, 0), new QuantaNode(7, 0, 1), new QuantaNode(8, 0, 1), new QuantaNode(7, 0, null)]);
        Assert.AreEqual(3, tags.Count, "an MLP node has no tags");
        Assert.AreEqual("P0=100 (D1)", string.Join(" ", tags["P7L0H0"].Select(t => t.Text)));
        Assert.AreEqual("P3=75 (D'1) P5=25 (=)", string.Join(" ", tags["P7L0H1"].Select(t => t.Text)));
        Assert.AreEqual("P4=75 (D'0) P5=25 (=)", string.Join(" ", tags["P8L0H1"].Select(t => t.Text)));
    }

    [TestMethod]
    public void InterventionPutsAsDigitIntoBsSum()
    {
        var a = PlantedAdder.Task.ParseQuestion("47+11");
        var b = PlantedAdder.Task.ParseQuestion("12+30");
        // P8L0H0 carries D0: B's A0 becomes (7 + 0 + 0) mod 10 = 7, which is not A's A0 (8).
        var result = InterventionAblation.Run(new PlantedAdder(), PlantedAdder.Task, new QuantaNode(8, 0, 0), a, b);
        Assert.AreEqual("+042", result.CleanAnswer);
        Assert.AreEqual("+047", result.InterveneAnswer);
        Assert.AreEqual("A0", result.Impact);
        Assert.AreEqual("", result.FollowsA);
        // P7L0H0 carries D1: with A = 20+30, B's A1 becomes 2 + 3 = 5, A's own A1 (50).
        var tens = InterventionAblation.Run(new PlantedAdder(), PlantedAdder.Task, new QuantaNode(7, 0, 0), PlantedAdder.Task.ParseQuestion("20+30"), b);
        Assert.AreEqual("+052", tens.InterveneAnswer);
        Assert.AreEqual("A1", tens.Impact);
        Assert.AreEqual("A1", tens.FollowsA);
    }

    [TestMethod]
    public void AnswerImpactNamesAreTheirs()
    {
        Assert.AreEqual("A32", AnswerImpact.Name([2, 3]));
        Assert.AreEqual("A7..4", AnswerImpact.Name([4, 5, 6, 7, 5]));
        Assert.AreEqual("A75", AnswerImpact.Name([5, 7]));
        Assert.AreEqual("A6531", AnswerImpact.Name([1, 3, 5, 6]));
        Assert.AreEqual("", AnswerImpact.Name([]));
    }

    [TestMethod]
    public void ToolsRunTogetherAndWriteTheReport()
    {
        var result = QuantaTools.Run(new PlantedAdder(), new QuantaToolOptions { Questions = 120, Seed = 3, PcaPerCase = 10 });
        Assert.AreEqual(0, result.CleanFailures.Count);
        CollectionAssert.AreEqual(new[] { 6, 7, 8 }, result.UsefulPositions.ToArray());
        var folder = Path.Combine(Path.GetTempPath(), "quanta-tools-" + Environment.ProcessId);
        try
        {
            var files = QuantaReport.Write(folder, result, "planted");
            var map = File.ReadAllText(Path.Combine(folder, "quanta-map-fail.svg"));
            // One filled cell per useful node, one empty cell per other component at a useful position.
            int cells = System.Text.RegularExpressions.Regex.Matches(map, "class=\"cell\"").Count;
            Assert.AreEqual(3 * 3, cells);
            Assert.AreEqual(result.UsefulNodes.Count(), System.Text.RegularExpressions.Regex.Matches(map, "class=\"cell\"[^>]*fill=\"#(?!f7f8fa)").Count);
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "report.md")), "| P8L0H0 |");
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "quanta.json")));
            Assert.AreEqual(3 * 3, json.RootElement.GetProperty("nodes").GetArrayLength());
            Assert.IsTrue(files.Any(f => f.EndsWith("report.md", StringComparison.Ordinal)));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    internal static int CarryInto(ArithmeticQuestion q, int m)
    {
        long limit = m == 0 ? 1 : m == 1 ? 10 : 100;
        return q.X % limit + q.Y % limit >= limit ? 1 : 0;
    }

    private static int AnswerDigit(ArithmeticQuestion q, int m) => (int)(q.Answer / (m == 0 ? 1 : m == 1 ? 10 : 100) % 10);
}
