using BitOnnx.Analysis.Arithmetic;
using BitOnnx.Core.Randomness;
using BitOnnx.Core.Tasks.Arithmetic;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Arithmetic;

/// <summary>The PCA against closed forms and power iteration, and the tri-case questions against their definition.</summary>
[TestClass]
public sealed class HeadPcaTests
{
    [TestMethod]
    public void TwoByTwoCovarianceHasItsClosedFormEigenvalues()
    {
        // Points (±2, ±1) with x and y independent of sign: covariance diag(4·n/(n−1), 1·n/(n−1)); ratios 0.8 and 0.2.
        var data = new double[8, 2];
        int i = 0;
        foreach (var (x, y) in new[] { (2, 1), (2, -1), (-2, 1), (-2, -1), (2, 1), (2, -1), (-2, 1), (-2, -1) }) { data[i, 0] = x; data[i++, 1] = y; }
        var (ratios, projected) = HeadPca.Pca(data, 2);
        Assert.AreEqual(0.8, ratios[0], 1e-12);
        Assert.AreEqual(0.2, ratios[1], 1e-12);
        for (int r = 0; r < 8; r++)
        {
            Assert.AreEqual(data[r, 0], projected[r, 0], 1e-12);
            Assert.AreEqual(data[r, 1], projected[r, 1], 1e-12);
        }
        // A rotated 2×2 [[a, b], [b, c]]: eigenvalues (a + c)/2 ± sqrt(((a − c)/2)² + b²).
        var (values, _) = SymmetricEigen.Decompose(new double[,] { { 3, 1.5 }, { 1.5, -1 } });
        double mid = 1, half = Math.Sqrt(4 + 2.25);
        Assert.AreEqual(mid + half, values[0], 1e-12);
        Assert.AreEqual(mid - half, values[1], 1e-12);
    }

    [TestMethod]
    public void FirstComponentIsPowerIterationsOnRandomData()
    {
        var random = SeededRandom.ForPurpose(5, "pca-test");
        int n = 60, d = 5;
        var data = new double[n, d];
        for (int r = 0; r < n; r++)
        {
            double common = 3 * random.NextGaussian();
            for (int a = 0; a < d; a++) data[r, a] = common * (a + 1) / d + random.NextGaussian();
        }
        var covariance = new double[d, d];
        var mean = new double[d];
        for (int a = 0; a < d; a++) { for (int r = 0; r < n; r++) mean[a] += data[r, a]; mean[a] /= n; }
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
            {
                for (int r = 0; r < n; r++) covariance[a, b] += (data[r, a] - mean[a]) * (data[r, b] - mean[b]);
                covariance[a, b] /= n - 1;
            }
        var vector = Enumerable.Repeat(1.0, d).ToArray();
        double lambda = 0;
        for (int step = 0; step < 2000; step++)
        {
            var next = new double[d];
            for (int a = 0; a < d; a++) for (int b = 0; b < d; b++) next[a] += covariance[a, b] * vector[b];
            lambda = Math.Sqrt(next.Sum(v => v * v));
            vector = next.Select(v => v / lambda).ToArray();
        }
        double trace = Enumerable.Range(0, d).Sum(a => covariance[a, a]);
        var (ratios, projected) = HeadPca.Pca(data, 1);
        Assert.AreEqual(lambda / trace, ratios[0], 1e-9);
        Assert.AreEqual(1.0, ratios.Sum(), 1e-9);
        // The first coordinate is the centred row on the power-iteration vector, up to the sign.
        double sign = Math.Sign(vector[Array.IndexOf(vector, vector.MaxBy(Math.Abs))]);
        for (int r = 0; r < n; r++)
        {
            double dot = 0;
            for (int a = 0; a < d; a++) dot += (data[r, a] - mean[a]) * vector[a];
            Assert.AreEqual(sign * dot, projected[r, 0], 1e-7);
        }
    }

    [TestMethod]
    public void TriCaseQuestionsAreTheirDefinition()
    {
        var questions = TriCaseQuestions.Addition(digits: 5, column: 2, perCase: 100, seed: 9);
        Assert.AreEqual(300, questions.Count);
        for (int i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            var expected = (TriCase)(i / 100);
            Assert.AreEqual(expected, TriCaseQuestions.Of(q, 2), q.ToString());
            Assert.IsTrue(q.X % 100 + q.Y % 100 < 100, $"{q}: no carry into column 2");
            Assert.AreEqual(0, q.X / 1000, $"{q}: columns above are zero");
            Assert.AreEqual(0, q.Y / 1000, $"{q}: columns above are zero");
        }
        CollectionAssert.AreEqual(questions.ToArray(), TriCaseQuestions.Addition(5, 2, 100, 9).ToArray(), "seeded");
        Assert.AreEqual(3, questions.Select(q => q.XDigit(2) + q.YDigit(2)).Where(s => s >= 10).Distinct().Count() > 2 ? 3 : 0, "ST10 sums vary");
    }

    [TestMethod]
    public void PcaOfAPlantedHeadSeparatesTheTriCases()
    {
        // P8L0H0 of the planted adder is D0 itself: its one coordinate orders the questions by D0.
        var task = PlantedAdder.Task;
        var questions = TriCaseQuestions.Addition(2, 0, 20, seed: 4);
        var set = new ArithmeticQuestionSet(task, questions);
        var labels = questions.Select(q => TriCaseQuestions.Of(q, 0).ToString()).ToArray();
        var pca = HeadPca.Compute(new PlantedAdder(), set, new QuantaNode(8, 0, 0), labels, "P8L0H0 A0 tri-case");
        Assert.AreEqual(1.0, pca.ExplainedVarianceRatio[0], 1e-12);
        double meanX = questions.Average(q => (double)q.XDigit(0));
        for (int i = 0; i < questions.Count; i++) Assert.AreEqual(questions[i].XDigit(0) - meanX, pca.Points[i].X, 1e-5);
        StringAssert.Contains(PcaSvg.Svg(pca), "data-label=\"ST10\"");
    }
}
