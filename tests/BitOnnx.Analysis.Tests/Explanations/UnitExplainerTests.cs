using BitOnnx.Analysis.Explanations;
using BitOnnx.Core.Explanations;
using BitOnnx.Core.Randomness;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Explanations;

/// <summary>
/// Units planted from known formulas at P = 113 are explained by the frequency, kind, phase and threshold they were made
/// from, and the simulator, from the explanation alone, gives the planted map back; the fraction explained is held to
/// a float64 computation written here.
/// </summary>
[TestClass]
public sealed class UnitExplainerTests
{
    private const int P = 113;

    private static double W(int f, int x) => 2 * Math.PI * f * x / P;

    private static float[,] Map(Func<int, int, double> f)
    {
        var map = new float[P, P];
        for (var a = 0; a < P; a++)
            for (var b = 0; b < P; b++) map[a, b] = (float)f(a, b);
        return map;
    }

    private static double MaxDifference(float[,] x, float[,] y)
    {
        var d = 0.0;
        for (var a = 0; a < P; a++)
            for (var b = 0; b < P; b++) d = Math.Max(d, Math.Abs(x[a, b] - y[a, b]));
        return d;
    }

    private static double PhaseError(double phase, double expected) => Math.Abs(Math.IEEERemainder(phase - expected, 2 * Math.PI));

    [TestMethod]
    public void AReluOfACosineOfTheSumIsExplainedByItsFrequencyPhaseAndThreshold()
    {
        var planted = Map((a, b) => Math.Max(0, 2.0 * Math.Cos(W(14, a + b) - 0.6) - 0.4));
        var e = UnitExplainer.Explain(planted, unit: 17);

        Assert.AreEqual(ExplanationKind.ReluFourier, e.Kind);
        Assert.AreEqual(14, e.Frequency);
        Assert.IsFalse(e.Polysemantic);
        var term = e.Dominant() ?? throw new AssertFailedException("one term should dominate");
        Assert.AreEqual(FourierAxis.Sum, term.Axis);
        Assert.AreEqual(2.0, term.Amplitude, 2e-3);
        Assert.IsTrue(PhaseError(term.Phase, 0.6) < 1e-3, $"phase {term.Phase}");
        Assert.AreEqual(-0.4, e.Formula.Offset, 2e-3);
        Assert.AreEqual(0.2, e.Threshold, 2e-3);
        Assert.IsTrue(e.FractionExplained >= 0.99, $"{e.FractionExplained}");
        Assert.IsTrue(MaxDifference(UnitSimulator.Simulate(e), planted) < 5e-3, "the simulator gives the planted map back");
        Assert.AreEqual("neuron 17: ReLU(2·cos(2π·14·(a+b)/113 − 0.60) − 0.4), fires where the cosine is above 0.20 of its max; 99.9% explained", e.Sentence);
    }

    [TestMethod]
    public void AProductOfCosinesIsOneTermOfItsBlockAndExactlyExplained()
    {
        var planted = Map((a, b) => 1.5 * Math.Cos(W(7, a)) * Math.Cos(W(7, b)));
        var e = UnitExplainer.Explain(planted);

        Assert.AreEqual(ExplanationKind.Fourier, e.Kind, "the map is negative in places: no ReLU");
        Assert.AreEqual(7, e.Frequency);
        Assert.AreEqual(1.0, e.Terms.CosACosB, 1e-6);
        Assert.AreEqual(1.0, e.FrequencyShares[6], 1e-6);
        Assert.IsTrue(e.FractionExplained >= 0.999999, $"{e.FractionExplained}");
        // cos a cos b = ½cos(a+b) + ½cos(a−b): two terms of amplitude 0.75, phase 0.
        var big = e.Formula.Terms.Where(t => t.Amplitude > 1e-3).OrderBy(t => t.Axis).ToArray();
        CollectionAssert.AreEqual(new[] { FourierAxis.Sum, FourierAxis.Difference }, big.Select(t => t.Axis).ToArray());
        foreach (var t in big)
        {
            Assert.AreEqual(0.75, t.Amplitude, 1e-6);
            Assert.IsTrue(PhaseError(t.Phase, 0) < 1e-6);
        }
        Assert.IsTrue(MaxDifference(UnitSimulator.Simulate(e), planted) < 1e-5);
    }

    [TestMethod]
    public void ADeadUnitIsDeadAndSimulatesToItsConstant()
    {
        var zero = UnitExplainer.Explain(new float[P, P], unit: 3);
        Assert.AreEqual(ExplanationKind.Dead, zero.Kind);
        Assert.AreEqual("neuron 3: dead (0 on every pair)", zero.Sentence);
        Assert.AreEqual(0, zero.Frequency);
        Assert.AreEqual(0.0, MaxDifference(UnitSimulator.Simulate(zero), new float[P, P]));

        var flat = UnitExplainer.Explain(Map((_, _) => 0.25), unit: 4, new ExplainerOptions { UnitName = "latent" });
        Assert.AreEqual(ExplanationKind.Dead, flat.Kind);
        Assert.AreEqual("latent 4: dead (constant 0.25 on every pair)", flat.Sentence);
        Assert.AreEqual(0.0, MaxDifference(UnitSimulator.Simulate(flat), Map((_, _) => 0.25)));
    }

    [TestMethod]
    public void TwoFrequenciesWithLargeSharesArePolysemanticAndFittedTogether()
    {
        var planted = Map((a, b) => Math.Cos(W(14, a + b) - 1.0) + 0.9 * Math.Cos(W(35, a) + 0.3));
        var e = UnitExplainer.Explain(planted, unit: 9);

        Assert.IsTrue(e.Polysemantic);
        CollectionAssert.AreEqual(new[] { 14, 35 }, e.Frequencies);
        Assert.AreEqual("neuron 9: polysemantic: 14 and 35 (55% and 45% of the variance); a polynomial of both, 99.9% explained", e.Sentence);
        Assert.IsTrue(e.FractionExplained >= 0.999999, $"{e.FractionExplained}");
        Assert.IsTrue(MaxDifference(UnitSimulator.Simulate(e), planted) < 1e-5);
        // Shares by energy: Σ cos² over the grid is P²/2 for each term, so 1 : 0.81.
        Assert.AreEqual(1 / 1.81, e.FrequencyShares[13], 1e-6);
        Assert.AreEqual(0.81 / 1.81, e.FrequencyShares[34], 1e-6);

        // One frequency alone: not polysemantic, and explained by its share.
        var single = UnitExplainer.Explain(Map((a, b) => Math.Cos(W(14, a + b) - 1.0) + 0.1 * Math.Cos(W(35, a) + 0.3)));
        Assert.IsFalse(single.Polysemantic);
        Assert.AreEqual(1 / 1.01, single.FractionExplained, 1e-6);
    }

    [TestMethod]
    public void TheFractionExplainedIsOneMinusSseOverSstOfTheFormulaInDouble()
    {
        var random = SeededRandom.ForPurpose(5, "explanation test noise");
        var noise = new double[P * P];
        for (var i = 0; i < noise.Length; i++) noise[i] = 0.3 * (random.NextDouble() - 0.5);
        var planted = Map((a, b) => Math.Max(0, Math.Cos(W(23, a) - 0.2) + Math.Cos(W(23, b) + 1.1) + noise[a * P + b]));
        var e = UnitExplainer.Explain(planted);

        // The formula's parameters, evaluated here, against the map in float64.
        double sum = 0, sumSquares = 0, sse = 0;
        for (var a = 0; a < P; a++)
            for (var b = 0; b < P; b++)
            {
                double pre = e.Formula.Offset;
                foreach (var t in e.Formula.Terms)
                {
                    var x = t.Axis switch { FourierAxis.A => a, FourierAxis.B => b, FourierAxis.Sum => a + b, _ => a - b };
                    pre += t.Amplitude * Math.Cos(2 * Math.PI * t.Frequency * x / P - t.Phase);
                }
                var fit = e.Formula.Relu ? Math.Max(0, pre) : pre;
                double v = planted[a, b];
                sum += v;
                sumSquares += v * v;
                sse += (v - fit) * (v - fit);
            }
        var sst = sumSquares - sum * sum / (P * P);
        Assert.AreEqual(1 - sse / sst, e.FractionExplained, 1e-9);
        Assert.AreEqual(23, e.Frequency);
        Assert.AreEqual(ExplanationKind.ReluFourier, e.Kind);
        Assert.IsTrue(e.FractionExplained > 0.9 && e.FractionExplained < 0.999, $"noise is left unexplained: {e.FractionExplained}");
    }

    [TestMethod]
    public void ExplainingAllUnitsOfAProbeEqualsExplainingEachMap()
    {
        Func<int, int, double>[] units = [(a, b) => Math.Max(0, Math.Cos(W(5, a + b))), (_, _) => 0, (a, b) => Math.Sin(W(40, a - b))];
        var activations = new float[P * P * units.Length];
        for (var a = 0; a < P; a++)
            for (var b = 0; b < P; b++)
                for (var u = 0; u < units.Length; u++) activations[(a * P + b) * units.Length + u] = (float)units[u](a, b);
        var all = UnitExplainer.ExplainAll(P, activations, units.Length);
        for (var u = 0; u < units.Length; u++)
        {
            var one = UnitExplainer.Explain(Map(units[u]), u);
            Assert.AreEqual(one.Sentence, all[u].Sentence);
            Assert.AreEqual(one.FractionExplained, all[u].FractionExplained);
        }
        var simulated = UnitSimulator.SimulateAll(all);
        for (var i = 0; i < activations.Length; i++) Assert.AreEqual(activations[i], simulated[i], 1e-5, $"value {i}");
        Assert.AreEqual(Math.PI / 2, all[2].Formula.Terms.Single(t => t.Amplitude > 1e-3).Phase, 1e-6, "sin x = cos(x − π/2)");
    }
}
