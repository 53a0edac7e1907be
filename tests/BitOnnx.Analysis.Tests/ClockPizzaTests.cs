using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Tests.Synthetic;
using BitOnnx.Core.Model;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class ClockPizzaTests
{
    private const int P = 31;

    // Logits whose correct entry is g(a+b) + h(a−b); other entries are irrelevant to q.
    private static float[] CorrectLogits(Func<int, double> g, Func<int, double> h)
    {
        var logits = new float[P * P * P];
        for (int a = 0; a < P; a++)
            for (int b = 0; b < P; b++)
            {
                int s = (a + b) % P, d = ((a - b) % P + P) % P;
                for (int c = 0; c < P; c++) logits[(a * P + b) * P + c] = c == s ? (float)(g(s) + h(d)) : -1f;
            }
        return logits;
    }

    private static double Sum(int s) => Math.Cos(2 * Math.PI * 5 * s / P) + 0.3 * Math.Sin(2 * Math.PI * 2 * s / P);

    private static double Distance(int d) => 2 * Math.Abs(Math.Cos(Math.PI * 7 * d / P));

    private static double Std(IEnumerable<double> xs)
    {
        var a = xs.ToArray();
        double m = a.Average();
        return Math.Sqrt(a.Sum(x => (x - m) * (x - m)) / a.Length);
    }

    [TestMethod]
    public void CorrectLogitIndependentOfDistanceGivesQOne()
    {
        var q = DistanceIrrelevance.Compute(CorrectLogits(Sum, _ => 0), P);
        Assert.AreEqual(1.0, q.Value, 1e-6);
    }

    [TestMethod]
    public void CorrectLogitThatIsAFunctionOfDistanceGivesQZero()
    {
        var q = DistanceIrrelevance.Compute(CorrectLogits(_ => 0, Distance), P);
        Assert.AreEqual(0.0, q.Value, 1e-6);
    }

    [TestMethod]
    public void MixedCorrectLogitGivesTheClosedFormQ()
    {
        // L = g(s) + h(d) with s, d ranging independently over Z_P: within a distance only g varies, so
        // q = std(g) / √(var g + var h).
        var q = DistanceIrrelevance.Compute(CorrectLogits(Sum, Distance), P);
        double sg = Std(Enumerable.Range(0, P).Select(Sum)), sh = Std(Enumerable.Range(0, P).Select(Distance));
        Assert.AreEqual(sg / Math.Sqrt(sg * sg + sh * sh), q.Value, 1e-5);
    }

    [TestMethod]
    public void SyntheticClockAndPizzaGetTheirVerdicts()
    {
        foreach (var algorithm in new[] { SyntheticAlgorithm.Clock, SyntheticAlgorithm.Pizza })
        {
            var model = new SyntheticFourierModel(new SyntheticModelSpec
            {
                P = 37,
                DModel = 8,
                DMlp = 16,
                NHeads = 2,
                KeyFrequencies = [5, 13],
                Algorithm = algorithm,
                Noise = 0.01,
            });
            var probes = model.Probes();
            var q = DistanceIrrelevance.Compute(ProbeViews.Logits(probes), 37);
            var sg = GradientSymmetricity.Compute(model, probes.Get(HookNames.Embed), 37, new GradientSymmetricityOptions());
            var result = ClockPizzaVerdict.Decide(q, sg, new ClockPizzaThresholds(), Learned);
            if (algorithm == SyntheticAlgorithm.Clock)
            {
                Assert.IsTrue(q.Value > 0.8, $"clock q = {q.Value}");
                Assert.IsTrue(sg.Value < 0.5, $"clock s_g = {sg.Value}");
                Assert.AreEqual(AlgorithmVerdict.Clock, result.Verdict, result.Reason);
            }
            else
            {
                Assert.IsTrue(q.Value < 0.4, $"pizza q = {q.Value}");
                Assert.AreEqual(1.0, sg.Value, 1e-6, "a function of E_a + E_b has identical gradients in E_a and E_b");
                Assert.AreEqual(AlgorithmVerdict.Pizza, result.Verdict, result.Reason);
            }
        }
    }

    private static readonly LearningGate Learned = new(LearningStatus.Learned, 1.0, true, 100, new LearningThresholds());

    [TestMethod]
    public void VerdictsFollowTheThresholds()
    {
        var t = new ClockPizzaThresholds();
        DistanceIrrelevanceResult Q(double v) => new(v, [], []);
        GradientSymmetricityResult S(double v) => new(v, [], [], 1e-3);
        Assert.AreEqual(AlgorithmVerdict.Pizza, ClockPizzaVerdict.Decide(Q(0.17), S(0.9937), t, Learned).Verdict, "Zhong et al.'s pizza model A");
        Assert.AreEqual(AlgorithmVerdict.Clock, ClockPizzaVerdict.Decide(Q(0.85), S(0.3336), t, Learned).Verdict, "Zhong et al.'s clock model B");
        Assert.AreEqual(AlgorithmVerdict.Mixed, ClockPizzaVerdict.Decide(Q(0.85), S(0.995), t, Learned).Verdict);
        Assert.AreEqual(AlgorithmVerdict.Clock, ClockPizzaVerdict.Decide(Q(0.9), null, t, Learned).Verdict);
        Assert.AreEqual(AlgorithmVerdict.Undetermined, ClockPizzaVerdict.Decide(null, null, t, Learned).Verdict);
    }

    [TestMethod]
    public void GradientSymmetricityOfALinearModelIsTheMeanCosineOfItsWeights()
    {
        // Q_c = u_c·E_a + v_c·E_b: ∂Q_c/∂E_a = u_c and ∂Q_c/∂E_b = v_c exactly, so s_g = mean over sampled c of cos(u_c, v_c).
        const int p = 7, d = 5;
        var rng = new Random(1);
        var u = Enumerable.Range(0, p * d).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var v = Enumerable.Range(0, p * d).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var model = new LinearEmbeddedModel(p, d, u, v);
        var embed = new ProbeTensor(HookNames.Embed, Enumerable.Range(0, p * p * 3 * d).Select(i => (float)Math.Sin(i)).ToArray(), [p * p, 3, d]);
        var options = new GradientSymmetricityOptions { Samples = 40, Seed = 3 };
        var result = GradientSymmetricity.Compute(model, embed, p, options);
        double expected = result.Triples.Average(t =>
        {
            double dot = 0, nu = 0, nv = 0;
            for (int i = 0; i < d; i++)
            {
                dot += u[t.C * d + i] * v[t.C * d + i];
                nu += u[t.C * d + i] * u[t.C * d + i];
                nv += v[t.C * d + i] * v[t.C * d + i];
            }
            return dot / Math.Sqrt(nu * nv);
        });
        Assert.AreEqual(expected, result.Value, 1e-8);
        Assert.AreEqual(40, result.Triples.Distinct().Count());
        CollectionAssert.AreEqual(result.Triples.ToArray(), GradientSymmetricity.SampleTriples(p, 40, 3).ToArray(), "the sample is seeded");
    }

    [TestMethod]
    public void CentralDifferencesMatchTheClosedFormGradient()
    {
        // f_c(x) = Σ_i W[c,i]·tanh(x_i·x_{i+3}) + sin(x_{c mod 3})·x_{(c+5) mod 6}, x ∈ R^6, three outputs.
        var w = new[,] { { 0.3, -1.2, 0.8 }, { 1.1, 0.4, -0.6 }, { -0.7, 0.9, 0.2 } };
        double[] F(double[] x, int offset)
        {
            var y = new double[3];
            for (int c = 0; c < 3; c++)
            {
                for (int i = 0; i < 3; i++) y[c] += w[c, i] * Math.Tanh(x[offset + i] * x[offset + i + 3]);
                y[c] += Math.Sin(x[offset + c % 3]) * x[offset + (c + 5) % 6];
            }
            return y;
        }
        double[] Batched(double[] xs, int batch) => Enumerable.Range(0, batch).SelectMany(r => F(xs, r * 6)).ToArray();

        var x0 = new[] { 0.4, -0.3, 0.9, 1.2, 0.5, -0.8 };
        var coords = Enumerable.Range(0, 6).ToArray();
        var grad = CentralDifferences.Gradients(Batched, x0, coords, 1e-5, out int outputs, maxBatch: 4);
        Assert.AreEqual(3, outputs);
        for (int c = 0; c < 3; c++)
        {
            var exact = new double[6];
            for (int i = 0; i < 3; i++)
            {
                double sech2 = 1 / Math.Pow(Math.Cosh(x0[i] * x0[i + 3]), 2);
                exact[i] += w[c, i] * sech2 * x0[i + 3];
                exact[i + 3] += w[c, i] * sech2 * x0[i];
            }
            exact[c % 3] += Math.Cos(x0[c % 3]) * x0[(c + 5) % 6];
            exact[(c + 5) % 6] += Math.Sin(x0[c % 3]);
            for (int i = 0; i < 6; i++) Assert.AreEqual(exact[i], grad[c * 6 + i], 1e-8, $"∂f_{c}/∂x_{i}");
        }
    }

    private sealed class LinearEmbeddedModel(int p, int d, double[] u, double[] v) : IEmbeddedLogits
    {
        public int DModel => d;

        public int NCtx => 3;

        public double[] Logits(double[] embedded, int batch)
        {
            var y = new double[batch * p];
            for (int r = 0; r < batch; r++)
                for (int c = 0; c < p; c++)
                    for (int i = 0; i < d; i++)
                        y[r * p + c] += u[c * d + i] * embedded[r * 3 * d + i] + v[c * d + i] * embedded[r * 3 * d + d + i];
            return y;
        }
    }
}
