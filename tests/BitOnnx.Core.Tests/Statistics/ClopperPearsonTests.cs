using BitOnnx.Core.Statistics;

namespace BitOnnx.Core.Tests.Statistics;

[TestClass]
public sealed class ClopperPearsonTests
{
    [TestMethod]
    public void NoFailureInAMillion()
    {
        // k = 0: P(X = 0 | p) = (1 − p)^n = α/2 has the closed form p = 1 − (α/2)^(1/n).
        var ci = ClopperPearson.Interval(0, 1_000_000);
        Assert.AreEqual(0, ci.Lower);
        Assert.AreEqual(1 - Math.Pow(0.025, 1e-6), ci.Upper, 1e-12);
        Assert.AreEqual(3.69e-6, ci.Upper, 0.005e-6, "the published 3.69e-6");
    }

    [TestMethod]
    public void FiveOfTen()
    {
        var ci = ClopperPearson.Interval(5, 10);
        Assert.AreEqual(0.187, ci.Lower, 0.0005);
        Assert.AreEqual(0.813, ci.Upper, 0.0005);
        Assert.AreEqual(1, ci.Lower + ci.Upper, 1e-12, "k = n/2 is symmetric");
        // Each end is where the binomial tail, summed here term by term, reaches 2.5%.
        Assert.AreEqual(0.025, UpperTail(5, 10, ci.Lower), 1e-10);
        Assert.AreEqual(0.025, LowerTail(5, 10, ci.Upper), 1e-10);
    }

    [TestMethod]
    public void TenOfAMillion()
    {
        var ci = ClopperPearson.Interval(10, 1_000_000);
        Assert.AreEqual(0.025, UpperTail(10, 1_000_000, ci.Lower), 1e-8, "P(X ≥ 10 | lower) = α/2");
        Assert.AreEqual(0.025, LowerTail(10, 1_000_000, ci.Upper), 1e-8, "P(X ≤ 10 | upper) = α/2");
        Assert.AreEqual(4.795e-6, ci.Lower, 0.001e-6);
        Assert.AreEqual(1.839e-5, ci.Upper, 0.001e-5);
    }

    [TestMethod]
    public void EveryTrialAnEvent()
    {
        // k = n: P(X = n | p) = p^n = α/2.
        var ci = ClopperPearson.Interval(20, 20);
        Assert.AreEqual(Math.Pow(0.025, 1 / 20.0), ci.Lower, 1e-12);
        Assert.AreEqual(1, ci.Upper);
        Assert.AreEqual(0.975, ClopperPearson.Interval(0, 1).Upper, 1e-12);
    }

    [TestMethod]
    public void IncompleteBetaMeetsItsClosedForms()
    {
        foreach (var x in new[] { 1e-7, 0.01, 0.3, 0.5, 0.77, 0.999 })
        {
            Assert.AreEqual(1 - Math.Pow(1 - x, 7), IncompleteBeta.Regularized(x, 1, 7), 1e-13, $"I_x(1, 7) at {x}");
            Assert.AreEqual(Math.Pow(x, 4), IncompleteBeta.Regularized(x, 4, 1), 1e-13, $"I_x(4, 1) at {x}");
            Assert.AreEqual(3 * x * x - 2 * x * x * x, IncompleteBeta.Regularized(x, 2, 2), 1e-13, $"I_x(2, 2) at {x}");
            Assert.AreEqual(1 - IncompleteBeta.Regularized(1 - x, 3.5, 2.25), IncompleteBeta.Regularized(x, 2.25, 3.5), 1e-13, "symmetry");
            // The inverse where I_x is not within rounding of 1 (at x = 0.999, 1 − I_x(3, 5) is 2e-14).
            if (x < 0.9) Assert.AreEqual(x, IncompleteBeta.Inverse(IncompleteBeta.Regularized(x, 3, 5), 3, 5), 1e-12 + 1e-9 * x, "inverse");
        }
    }

    [TestMethod]
    public void LogGammaMeetsFactorials()
    {
        double logFactorial = 0;
        for (int n = 1; n <= 30; n++)
        {
            Assert.AreEqual(logFactorial, IncompleteBeta.LogGamma(n), 1e-12 * Math.Max(1, logFactorial), $"ln Γ({n}) = ln {n - 1}!");
            logFactorial += Math.Log(n);
        }
        Assert.AreEqual(0.5 * Math.Log(Math.PI), IncompleteBeta.LogGamma(0.5), 1e-14, "Γ(1/2) = √π");
    }

    /// <summary>P(X ≥ k) for X ~ Binomial(n, p), summing the pmf from its recurrence (independent of the beta route).</summary>
    private static double UpperTail(long k, long n, double p) => 1 - LowerTail(k - 1, n, p);

    /// <summary>P(X ≤ k), from pmf(0) = (1 − p)^n and pmf(i + 1) = pmf(i) · (n − i)/(i + 1) · p/(1 − p).</summary>
    private static double LowerTail(long k, long n, double p)
    {
        double pmf = Math.Exp(n * Math.Log(1 - p)), sum = 0;
        for (long i = 0; i <= k; i++)
        {
            sum += pmf;
            pmf *= (double)(n - i) / (i + 1) * p / (1 - p);
        }
        return sum;
    }
}
