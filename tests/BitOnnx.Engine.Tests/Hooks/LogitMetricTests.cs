using BitOnnx.Core.Interventions;
using BitOnnx.Core.Randomness;

namespace BitOnnx.Engine.Tests.Hooks;

/// <summary>The two metrics attribution patching differentiates, against closed forms and central differences.</summary>
[TestClass]
public sealed class LogitMetricTests
{
    private const int Rows = 4, Classes = 5;

    private static float[] RandomLogits(int seed)
    {
        var random = new SeededRandom((ulong)seed);
        return Enumerable.Range(0, Rows * Classes).Select(_ => (float)(3 * random.NextGaussian())).ToArray();
    }

    [TestMethod]
    public void CrossEntropyOfEqualLogitsIsLogPAndItsGradientIsUniformMinusTheTarget()
    {
        var metric = LogitMetric.CrossEntropy([0, 1, 2, 4], Classes);
        var logits = Enumerable.Repeat(0.7f, Rows * Classes).ToArray();
        Assert.AreEqual(Math.Log(Classes), metric.Value(logits), 1e-15);
        var gradient = metric.Gradient(logits);
        for (var r = 0; r < Rows; r++)
            for (var c = 0; c < Classes; c++)
            {
                var expected = (1.0 / Classes - (c == new[] { 0, 1, 2, 4 }[r] ? 1 : 0)) / Rows;
                Assert.AreEqual(expected, gradient[r * Classes + c], 1e-8, $"row {r}, class {c}");
            }
    }

    /// <summary>
    /// Both gradients against central differences of <see cref="LogitMetric.Value"/> itself: the logits are floats, so the
    /// step is the exact difference of the two perturbed floats, and the value a double of those floats.
    /// </summary>
    [TestMethod]
    public void GradientsAreTheDerivativesOfTheValues()
    {
        var logits = RandomLogits(3);
        foreach (var metric in new[] { LogitMetric.CrossEntropy([3, 0, 4, 4], Classes), LogitMetric.LogitDifference([3, 0, 4, 2], [1, 0, 2, 3], Classes),
            LogitMetric.KlDivergence(RandomLogits(5), Classes) })
        {
            var gradient = metric.Gradient(logits);
            for (var i = 0; i < logits.Length; i++)
            {
                var (plus, minus) = ((float[])logits.Clone(), (float[])logits.Clone());
                plus[i] += 1e-2f;
                minus[i] -= 1e-2f;
                var numeric = (metric.Value(plus) - metric.Value(minus)) / ((double)plus[i] - minus[i]);
                Assert.AreEqual(numeric, gradient[i], 1e-5, $"{metric.Name}: element {i}");
            }
        }
    }

    /// <summary>KL(p_clean ‖ p) by its definition in double; 0, with a gradient of exactly 0, at the clean logits themselves.</summary>
    [TestMethod]
    public void KlDivergenceIsItsDefinitionAndVanishesAtTheCleanLogits()
    {
        float[] clean = RandomLogits(6), logits = RandomLogits(7);
        var metric = LogitMetric.KlDivergence(clean, Classes);
        double[] Probabilities(float[] x, int r)
        {
            var row = Enumerable.Range(0, Classes).Select(c => Math.Exp(x[r * Classes + c])).ToArray();
            return row.Select(v => v / row.Sum()).ToArray();
        }
        var expected = Enumerable.Range(0, Rows).Average(r =>
        {
            double[] p = Probabilities(clean, r), q = Probabilities(logits, r);
            return Enumerable.Range(0, Classes).Sum(c => p[c] * Math.Log(p[c] / q[c]));
        });
        Assert.AreEqual(expected, metric.Value(logits), 1e-12);
        Assert.IsTrue(metric.Value(logits) > 0);
        Assert.AreEqual(0.0, metric.Value(clean));
        Assert.IsTrue(metric.Gradient(clean).All(g => g == 0f), "the gradient at the minimum is 0");
    }

    [TestMethod]
    public void LogitDifferenceIsTheMeanOfTheTwoLogitsDifference()
    {
        var logits = RandomLogits(4);
        int[] a = [3, 0, 4, 2], b = [1, 0, 2, 3];
        var expected = Enumerable.Range(0, Rows).Average(r => (double)logits[r * Classes + a[r]] - logits[r * Classes + b[r]]);
        var metric = LogitMetric.LogitDifference(a, b, Classes);
        Assert.AreEqual(expected, metric.Value(logits), 1e-12);
        var gradient = metric.Gradient(logits);
        Assert.AreEqual(0f, gradient[1 * Classes + 0], "a = b: no gradient");
        Assert.AreEqual(0.25f, gradient[0 * Classes + 3]);
        Assert.AreEqual(-0.25f, gradient[0 * Classes + 1]);
        Assert.AreEqual(2 * Rows - 2, gradient.Count(g => g != 0));
    }

    [TestMethod]
    public void MisfitArgumentsAreInterventionErrors()
    {
        var metric = LogitMetric.CrossEntropy([0, 1, 2, 3], Classes);
        var wrongLength = Assert.ThrowsException<InterventionException>(() => metric.Value(new float[Rows * Classes - 1]));
        StringAssert.Contains(wrongLength.Message, "4 rows of 5 classes");
        var outside = Assert.ThrowsException<InterventionException>(() => LogitMetric.CrossEntropy([0, 5], Classes));
        StringAssert.Contains(outside.Message, "target 5 is outside the classes 0..4");
        var unpaired = Assert.ThrowsException<InterventionException>(() => LogitMetric.LogitDifference([0, 1], [1], Classes));
        StringAssert.Contains(unpaired.Message, "1 for 2 rows");
    }
}
