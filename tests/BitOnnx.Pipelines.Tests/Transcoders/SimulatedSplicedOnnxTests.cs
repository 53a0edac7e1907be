using BitOnnx.Analysis.Transcoders;
using BitOnnx.Core.Explanations;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;
using BitOnnx.TestSupport;

namespace BitOnnx.Pipelines.Tests.Transcoders;

/// <summary>
/// The model spliced with a transcoder whose encoder is a simulator of formulas, against the same rewrite computed
/// without it: each latent evaluated from its formula in double (<see cref="FourierFormula.Evaluate"/>), decoded by the
/// reference <see cref="Transcoder.Decode"/>, and written into <c>hook_mlp_out</c> at the last position of the clean
/// model on ONNX Runtime, on every pair.
/// </summary>
[TestClass]
public sealed class SimulatedSplicedOnnxTests
{
    /// <summary>
    /// The graph's latents are float32 tables of the formulas' terms summed in float32 (a few ulps of values of order 1),
    /// then a 12-term float32 decode against a float64 one, then the same attention-free remainder of the model on both
    /// sides: each difference is a few 10⁻⁷ relative, and the unembedding's 128-term sums of logits up to about |40|
    /// bring it to a few 10⁻⁵. The bound, 10⁻³ · max(1, max |logit|), is far below what a latent computed wrongly moves
    /// (asserted: the splice moves the logits by more than 100 times the bound).
    /// </summary>
    [TestMethod]
    public void SplicedSimulatorEqualsTheFormulasDecodedAndWrittenOnEveryPair()
    {
        var path = Path.Combine(RepositoryRoot.Path, "models", "li2024-ternary", "li2024-ternary.onnx");
        var onnx = OnnxModel.Load(path);
        var metadata = ExportMetadata.Read(onnx, "li2024-ternary.onnx");
        using var session = ModelSession.FromModel(onnx, "clean");
        var splice = new TranscoderSplice(session);
        int p = splice.P, d = splice.Config.DModel, rows = p * p;
        var random = new SeededRandom(5);
        FourierAxis[] axes = [FourierAxis.A, FourierAxis.B, FourierAxis.Sum, FourierAxis.Difference];
        var formulas = Enumerable.Range(0, 12).Select(u => new FourierFormula(p, random.NextGaussian() * 0.3,
            Enumerable.Range(0, 1 + u % 3).Select(t => new FourierTerm(1 + (7 * u + 11 * t) % (p / 2), axes[(u + t) % 4], 0.5 + random.NextDouble(), 2 * Math.PI * random.NextDouble())).ToArray(),
            relu: u % 2 == 0)).ToList();
        var config = new TranscoderConfig(TranscoderKind.TopK, d, d, formulas.Count, 4, 0, 0);
        var transcoder = Transcoder.Zeros(config, new TranscoderSource("li2024-ternary.onnx", p, metadata.WeightsSha256!));
        foreach (ref var w in transcoder.Parameters[Transcoder.DecoderWeight]) w = (float)(random.NextGaussian() * 2 / Math.Sqrt(formulas.Count));
        foreach (ref var b in transcoder.Parameters[Transcoder.DecoderBias]) b = (float)(random.NextGaussian() * 0.1);

        var latents = new float[rows * formulas.Count];
        for (int r = 0; r < rows; r++)
            for (int u = 0; u < formulas.Count; u++) latents[r * formulas.Count + u] = (float)formulas[u].Evaluate(r / p, r % p);
        var expected = splice.Logits(transcoder.Decode(latents));

        using var spliced = ModelSession.FromModel(SimulatedTranscoderSurgery.Splice(onnx, "li2024-ternary.onnx", transcoder, formulas), "simulated");
        var actual = spliced.RunGrid()[HookNames.Logits].Data;

        var bound = 1e-3 * Math.Max(1, expected.Max(Math.Abs));
        var gap = actual.Zip(expected, (x, y) => Math.Abs((double)x - y)).Max();
        Assert.IsTrue(gap <= bound, $"spliced simulator against the formulas decoded and written: {gap} > {bound}");
        var moved = splice.CleanLogits.Zip(expected, (x, y) => Math.Abs((double)x - y)).Max();
        Assert.IsTrue(moved > 100 * bound, $"the splice should change the logits: {moved}");
    }

    [TestMethod]
    public void AFormulaCountOtherThanTheWidthIsRefused()
    {
        var onnx = OnnxModel.Load(Path.Combine(RepositoryRoot.Path, "models", "li2024-ternary", "li2024-ternary.onnx"));
        var transcoder = Transcoder.Zeros(new TranscoderConfig(TranscoderKind.TopK, 128, 128, 4, 2, 0, 0), new TranscoderSource("x", 113, "0"));
        var one = new FourierFormula(113, 0, [new FourierTerm(1, FourierAxis.Sum, 1, 0)], relu: false);
        Assert.ThrowsExactly<ModelContractException>(() => SimulatedTranscoderSurgery.Splice(onnx, "x", transcoder, [one, one]));
    }
}
