using BitOnnx.Analysis.Transcoders;
using BitOnnx.Core.Explanations;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx.Runtime;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Transcoders;

/// <summary>
/// The rewrite from explanations on a transcoder planted by hand on the shipped ternary model: its latents are exact
/// formulas (cos and sin of f·a, f·b and f·(a + b) for the frequencies that carry most of the MLP's output), its decoder the
/// least-squares projection of the MLP output onto them, written here in float64 (the latents are orthogonal over all
/// pairs, so each decoder row is Σ x·(y − ȳ) / Σ x²). Explaining such latents recovers their formulas, so the splice of
/// the simulated latents must score as the splice of the latents themselves; given the wrong frequencies it must not.
/// </summary>
[TestClass]
public sealed class TranscoderRewriteTests
{
    private const int Frequencies = 6;

    [TestMethod]
    public void PlantedFormulaLatentsRewriteAsWellAsTheLatentsAndWrongFormulasWorse()
    {
        using var session = ModelSession.Open(Path.Combine(RepositoryRoot.Path, "models", "li2024-ternary", "li2024-ternary.onnx"));
        var splice = new TranscoderSplice(session);
        int p = splice.P, d = splice.Config.DModel, rows = p * p, width = 6 * Frequencies;
        var y = splice.MlpOutput;
        var mean = new double[d];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < d; o++) mean[o] += y[r * d + o] / (double)rows;

        // axis 0: a, 1: b, 2: a + b; over all pairs these are orthogonal to each other and across frequencies.
        double[] Feature(int f, bool sine, int axis = 2) => Enumerable.Range(0, rows).Select(r =>
        {
            var x = axis == 0 ? r / p : axis == 1 ? r % p : (r / p + r % p) % p;
            var angle = 2 * Math.PI * f * x / p;
            return sine ? Math.Sin(angle) : Math.Cos(angle);
        }).ToArray();
        double[] Projection(double[] x) => Enumerable.Range(0, d).Select(o =>
        {
            double xy = 0, xx = 0;
            for (int r = 0; r < rows; r++)
            {
                xy += x[r] * (y[r * d + o] - mean[o]);
                xx += x[r] * x[r];
            }
            return xy / xx;
        }).ToArray();
        var strongest = Enumerable.Range(1, p / 2)
            .Select(f => (f, energy: Projection(Feature(f, false)).Sum(v => v * v) + Projection(Feature(f, true)).Sum(v => v * v)))
            .OrderByDescending(t => t.energy).Take(Frequencies).Select(t => t.f).ToArray();

        var transcoder = Transcoder.Zeros(new TranscoderConfig(TranscoderKind.TopK, d, d, width, width, 0, 0), new TranscoderSource("planted", p, "0"));
        var latents = new float[rows * width];
        for (int j = 0; j < width; j++)
        {
            var x = Feature(strongest[j / 6], sine: j % 2 == 1, axis: j % 6 / 2);
            for (int r = 0; r < rows; r++) latents[r * width + j] = (float)x[r];
            var row = Projection(x);
            for (int o = 0; o < d; o++) transcoder.Parameters[Transcoder.DecoderWeight][j * d + o] = (float)row[o];
        }
        for (int o = 0; o < d; o++) transcoder.Parameters[Transcoder.DecoderBias][o] = (float)mean[o];

        var test = splice.Split.TestRows;
        var expectedAll = splice.LossesOfLatents(transcoder, latents);
        var expectedTest = splice.LossesOfLatents(transcoder, latents, test);
        var rewrite = TranscoderRewrite.Explain(splice, transcoder, latents, test);

        Assert.IsTrue(expectedAll.CeLossScore > 0.5, $"the planted transcoder should stand in for the MLP: ce_loss_score {expectedAll.CeLossScore}");
        Assert.IsTrue(rewrite.Explanations.All(e => e.FractionExplained > 0.999), "every planted latent is one formula");
        // The simulated latents differ from the planted ones by float rounding of cosines (about 1e-7 of amplitude 1),
        // which moves a loss of order 0.01..1 by far less than 1e-4.
        Assert.AreEqual(expectedAll.CeLossScore, rewrite.All.CeLossScore, 1e-4);
        Assert.AreEqual(expectedTest.CeLossScore, rewrite.Test.CeLossScore, 1e-4);
        Assert.AreEqual(expectedAll.AccuracySpliced, rewrite.All.AccuracySpliced, 1e-3);

        var wrong = rewrite.Explanations.Select(e => e with
        {
            Formula = new FourierFormula(p, e.Formula.Offset, e.Formula.Terms.Select(t => t with { Frequency = t.Frequency % (p / 2) + 1 }).ToArray(), e.Formula.Relu),
        }).ToArray();
        var shifted = TranscoderRewrite.FromExplanations(splice, transcoder, wrong, test);
        Assert.IsTrue(shifted.All.CeLossScore < expectedAll.CeLossScore - 0.2, $"wrong frequencies: {shifted.All.CeLossScore} against {expectedAll.CeLossScore}");
    }
}
