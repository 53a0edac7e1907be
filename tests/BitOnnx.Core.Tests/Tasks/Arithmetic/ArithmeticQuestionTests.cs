using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Core.Tests.Tasks.Arithmetic;

[TestClass]
public sealed class ArithmeticQuestionTests
{
    [TestMethod]
    [DataRow(133357L, 182243L, "+", 6, "133357+182243=+0315600")]
    // Sometimes quoted as "-0123230"; 123450 − 345670 is −222220, and the format is the point of the example.
    [DataRow(123450L, 345670L, "-", 6, "123450-345670=-0222220")]
    [DataRow(12345L, 54321L, "+", 5, "12345+54321=+066666")]
    [DataRow(99999L, 1L, "+", 5, "99999+00001=+100000")]
    [DataRow(50000L, 50001L, "-", 5, "50000-50001=-000001")]
    [DataRow(0L, 0L, "+", 5, "00000+00000=+000000")]
    [DataRow(7L, 7L, "-", 1, "7-7=+00")]
    public void FormatsAsQuirkeEtAlWriteIt(long x, long y, string op, int digits, string expected)
    {
        var q = new ArithmeticQuestion(x, y, op == "+" ? ArithmeticOperation.Addition : ArithmeticOperation.Subtraction, digits);
        Assert.AreEqual(expected, q.FormatWithAnswer());
        Assert.AreEqual(expected[..(2 * digits + 1)], q.Format());
        Assert.AreEqual(3 * digits + 4, expected.Length, "n_ctx = 3n + 4 characters, one token each");

        // The tokens are the characters, each looked up by name in the vocabulary.
        var tokens = new int[ArithmeticQuestion.ContextLength(digits)];
        q.WriteTokens(tokens);
        var expectedTokens = expected.Select(c => ArithmeticTokens.Vocabulary.Token(c.ToString())).ToArray();
        CollectionAssert.AreEqual(expectedTokens, tokens);
        Assert.AreEqual(q, ArithmeticQuestion.FromTokens(tokens, digits));
        Assert.AreEqual(op == "+" ? x + y : x - y, ArithmeticQuestion.AnswerFromTokens(tokens, digits));
        Assert.AreEqual(q, ArithmeticQuestion.Parse(expected[..(2 * digits + 1)], digits));
    }

    [TestMethod]
    public void VocabularyIsTheirs()
    {
        var v = ArithmeticTokens.Vocabulary;
        Assert.AreEqual(15, v.Size, "d_vocab 15 as in their code");
        for (int d = 0; d <= 9; d++) Assert.AreEqual(d, v.Token(d.ToString()));
        Assert.AreEqual(10, v.Token("+"));
        Assert.AreEqual(11, v.Token("-"));
        Assert.AreEqual(12, v.Token("="));
        Assert.AreEqual(13, v.Token("*"), "reserved for multiplication, never generated");
        Assert.AreEqual(14, v.Token("/"), "reserved for division, never generated");
    }

    [TestMethod]
    [DataRow("12a45+3", "'a' at character 3")]
    [DataRow("123+45678", "the first operand has 3 digits")]
    [DataRow("12345+4567", "the second operand has 4 digits")]
    [DataRow("123456+12345", "the first operand has 6 digits")]
    [DataRow("12345*54321", "the operator '*'")]
    [DataRow("1234554321", "has no + or -")]
    [DataRow("12345+54321-1", "more than one operator")]
    [DataRow("12345+54321=", "'=' at character 12")]
    [DataRow(" 12345+54321", "' ' at character 1")]
    [DataRow("", "empty")]
    public void BadQuestionsAreOneSentence(string text, string says)
    {
        var e = Assert.ThrowsExactly<BitOnnxException>(() => ArithmeticQuestion.Parse(text, 5));
        StringAssert.Contains(e.Message, says);
        StringAssert.Contains(e.Message, "12345+54321", "the message shows what to type");
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    [TestMethod]
    public void TaskRejectsTheOtherOperation()
    {
        var add = new ArithmeticTask(5, ArithmeticMix.Addition);
        var e = Assert.ThrowsExactly<BitOnnxException>(() => add.ParseQuestion("50000-50001"));
        StringAssert.Contains(e.Message, "only adds");
        var sub = new ArithmeticTask(5, ArithmeticMix.Subtraction);
        StringAssert.Contains(Assert.ThrowsExactly<BitOnnxException>(() => sub.ParseQuestion("12345+54321")).Message, "only subtracts");
        Assert.AreEqual(-1, new ArithmeticTask(5, ArithmeticMix.Mixed).ParseQuestion("50000-50001").Answer);
    }

    [TestMethod]
    public void SlotsReadTheTokenBeforeEachAnswerToken()
    {
        var task = new ArithmeticTask(5, ArithmeticMix.Addition);
        Assert.AreEqual(19, task.ContextLength);
        Assert.AreEqual(15, task.OutputVocabularySize, "d_vocab_out = d_vocab");
        // "12345+54321=+066666": '=' at 11 predicts the sign at 12, ..., the tens digit at 17 predicts the units at 18.
        CollectionAssert.AreEqual(new[] { "A6", "A5", "A4", "A3", "A2", "A1", "A0" }, task.Slots.Select(s => s.Name).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(11, 7).ToArray(), task.Slots.Select(s => s.Position).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(12, 7).ToArray(), task.Slots.Select(s => s.TargetPosition!.Value).ToArray());
        Assert.AreEqual("add5", task.Name);
    }

    [TestMethod]
    [DataRow("add5", ArithmeticMix.Addition, 5)]
    [DataRow("sub12", ArithmeticMix.Subtraction, 12)]
    [DataRow("mix6", ArithmeticMix.Mixed, 6)]
    public void TasksAreFoundByName(string name, ArithmeticMix mix, int digits)
    {
        var task = ArithmeticTask.FromName(name);
        Assert.AreEqual(mix, task.Mix);
        Assert.AreEqual(digits, task.Digits);
        Assert.AreEqual(name, task.Name, "the name round-trips");
    }

    [TestMethod]
    [DataRow("add")]
    [DataRow("add0")]
    [DataRow("add19")]
    [DataRow("mul5")]
    [DataRow("add+5")]
    [DataRow("")]
    public void BadTaskNamesAreOneSentence(string name)
    {
        var e = Assert.ThrowsExactly<BitOnnx.Core.Model.ConfigException>(() => ArithmeticTask.FromName(name));
        StringAssert.Contains(e.Message, "as add5");
    }

    [TestMethod]
    public void BadSettingsAreConfigErrors()
    {
        Assert.ThrowsExactly<BitOnnx.Core.Model.ConfigException>(() => new ArithmeticTask(0, ArithmeticMix.Addition));
        Assert.ThrowsExactly<BitOnnx.Core.Model.ConfigException>(() => new ArithmeticTask(19, ArithmeticMix.Addition));
        Assert.ThrowsExactly<BitOnnx.Core.Model.ConfigException>(() =>
            new ArithmeticTask(5, ArithmeticMix.Mixed, new ArithmeticEnrichment { SubtractionPercent = 101 }));
        Assert.ThrowsExactly<BitOnnx.Core.Model.ConfigException>(() => new ArithmeticTask(5, ArithmeticMix.Addition).Generate(0, 0, 0));
    }
}
