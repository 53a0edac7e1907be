using BitOnnx.Core.Statistics;

namespace BitOnnx.Core.Tests.Statistics;

[TestClass]
public sealed class PercentagesTests
{
    [TestMethod]
    public void AMillionQuestionsShowOneFailureAndTheIntervalOfNone()
    {
        Assert.AreEqual("99.99970%", Percentages.Of(999_997 / 1e6, 1_000_000));
        // 0 of 1,000,000 wrong: the interval's lower end is 1 - 3.69e-6, which must not print as 100.
        var none = ClopperPearson.Interval(1_000_000, 1_000_000);
        Assert.AreEqual("99.99963%", Percentages.Of(none.Lower, 1_000_000));
        Assert.AreEqual("100.00000%", Percentages.Of(none.Upper, 1_000_000));
    }

    [TestMethod]
    [DataRow(0.5, 10L, "50.0%")]
    [DataRow(0.99265, 500L, "99.27%")]
    [DataRow(0.999963, 100_000L, "99.9963%")]
    [DataRow(1.0, 0L, "100.0%")]
    public void DecimalsFollowTheNumberOfTrials(double fraction, long trials, string expected) =>
        Assert.AreEqual(expected, Percentages.Of(fraction, trials));
}
