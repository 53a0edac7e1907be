using System.Globalization;
using System.Text.RegularExpressions;
using BitOnnx.TestSupport;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// models/add5-fp/add5-fp.onnx right after a clone: <c>bitonnx predict</c> answers the cascade cases as integer
/// arithmetic does, and fresh questions at the accuracy its card claims.
/// </summary>
[TestClass]
public sealed class ShippedArithmeticModelTests
{
    private static string Onnx => Path.Combine(RepositoryRoot.Path, "models", "add5-fp", "add5-fp.onnx");

    [TestMethod]
    [DataRow(99999L, 1L)]
    [DataRow(0L, 0L)]
    [DataRow(12345L, 54321L)]
    [DataRow(50000L, 49999L)]
    public void PredictAnswersTheCascadeCasesAsIntegerArithmetic(long x, long y)
    {
        var question = string.Create(CultureInfo.InvariantCulture, $"{x:D5}+{y:D5}");
        var r = CliProcess.Run("predict", Onnx, question);
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        Assert.AreEqual(string.Create(CultureInfo.InvariantCulture, $"{question}=+{x + y:D6}"), r.Out.Trim());
    }

    [TestMethod]
    public void PredictOnFreshQuestionsMeetsTheCardsAccuracy()
    {
        var r = CliProcess.Run("predict", Onnx, "--questions", "2000", "--seed", "11");
        Assert.AreEqual(0, r.ExitCode, r.Out + r.Error);
        var right = Regex.Match(r.Out, @"(\d+)/2000 = ");
        Assert.IsTrue(right.Success, r.Out);
        // 0 wrong of 100,000 at training's end; 2 of 2,000 would already be a rate the card's interval excludes.
        Assert.IsTrue(int.Parse(right.Groups[1].Value, CultureInfo.InvariantCulture) >= 1_999, r.Out);
    }

    [TestMethod]
    public void AQuestionOfAnotherWidthOrTaskIsOneErrorLine()
    {
        foreach (var question in new[] { "1234+5", "12a45+3", "50000-50001" })
        {
            var r = CliProcess.Run("predict", Onnx, question);
            Assert.AreNotEqual(0, r.ExitCode);
            var lines = r.Error.Trim().Split('\n');
            Assert.AreEqual(1, lines.Length, r.Error);
            StringAssert.StartsWith(lines[0], "error: ");
        }
    }
}
