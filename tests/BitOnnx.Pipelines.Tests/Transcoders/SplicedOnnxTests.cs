using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Core.Transcoders;
using BitOnnx.Engine.Transcoders;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;
using BitOnnx.Pipelines.Models;
using BitOnnx.TestSupport;

namespace BitOnnx.Pipelines.Tests.Transcoders;

/// <summary>
/// The spliced ONNX model against the engine's splice on every pair: the engine rebuilt from the export's folded weights,
/// its <c>hook_mlp_out</c> at the last position written with the transcoder's ŷ of its own <c>hook_resid_mid</c>.
/// </summary>
[TestClass]
public sealed class SplicedOnnxTests
{
    /// <summary>
    /// Both sides compute the same float32 function in different summation orders: each dot product of n terms may differ
    /// by about n·2⁻²⁴·Σ|terms| (Higham), a relative 10⁻⁵ for the 128- and 512-term sums here, and the logits of these
    /// models reach |40|, so differences of a few 10⁻⁴ are rounding. The bound, 2·10⁻³ · max(1, max |logit|), leaves room
    /// for the chain of such sums and is far below what one latent chosen differently would move (the decoder rows are
    /// of order 1). The clean export is held to the same bound, so the splice adds no error of its own beyond rounding.
    /// </summary>
    [TestMethod]
    [DataRow(TranscoderKind.TopK)]
    [DataRow(TranscoderKind.L1)]
    public void SplicedOnnxEqualsTheEnginesSpliceOnEveryPair(TranscoderKind kind)
    {
        var path = Path.Combine(RepositoryRoot.Path, "models", "li2024-ternary", "li2024-ternary.onnx");
        var onnx = OnnxModel.Load(path);
        var metadata = ExportMetadata.Read(onnx, "li2024-ternary.onnx");
        var engine = ExportedEngine.Load(onnx, metadata, "li2024-ternary.onnx", "the test", threads: 2);
        var config = engine.Config;
        int p = config.P, rows = p * p, d = config.DModel, n = config.NCtx;
        var transcoder = Random(new TranscoderConfig(kind, d, d, 96, 6, 0, 4), new TranscoderSource("li2024-ternary.onnx", p, metadata.WeightsSha256!));

        var tokens = ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p));
        var clean = engine.Run(tokens);
        var residMid = clean[TranscoderConfig.MlpInput].Data;
        var x = new float[rows * d];
        for (int r = 0; r < rows; r++) residMid.AsSpan((r * n + n - 1) * d, d).CopyTo(x.AsSpan(r * d));
        var layer = new TranscoderLayer(transcoder.Config);
        layer.Forward(transcoder, x, threads: 2);
        var values = new float[rows * n * d];
        for (int r = 0; r < rows; r++) layer.Output.Slice(r * d, d).CopyTo(values.AsSpan((r * n + n - 1) * d, d));
        var writes = engine.Resolve([Intervention.Patch(TranscoderConfig.MlpOutput, values, new HookIndex(Position: n - 1))], clean);
        var engineLogits = engine.Run(tokens, writes).Logits;

        using var spliced = ModelSession.FromModel(TranscoderSurgery.Splice(onnx, "li2024-ternary.onnx", transcoder), "spliced");
        var onnxLogits = spliced.RunGrid()[HookNames.Logits].Data;
        using var plain = ModelSession.FromModel(onnx, "clean");
        var cleanGap = MaxDifference(plain.RunGrid()[HookNames.Logits].Data, clean.Logits);

        var bound = 2e-3 * Math.Max(1, engineLogits.Max(Math.Abs));
        var compared = RowsWithoutNearTie(layer, transcoder.Config, rows);
        Assert.IsTrue(compared.Count >= 0.99 * rows, $"{rows - compared.Count} of {rows} rows have a near-tie at the k-th latent");
        var gap = compared.Max(r => MaxDifference(onnxLogits.AsSpan(r * p, p).ToArray(), engineLogits.AsSpan(r * p, p).ToArray()));
        Assert.IsTrue(cleanGap <= bound, $"clean export against the engine: {cleanGap} > {bound}");
        Assert.IsTrue(gap <= bound, $"spliced export against the engine's splice: {gap} > {bound}");
        Assert.IsTrue(MaxDifference(onnxLogits, clean.Logits) > 100 * bound, "the splice changed the logits (the transcoder is not the MLP)");
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (u, v) => Math.Abs((double)u - v)).Max();

    /// <summary>
    /// The rows whose k-th and (k+1)-th largest latents are apart by more than 10⁻³ of the largest: there both sides
    /// keep the same latents whatever their last bits (a k-th latent of 0 adds nothing either way). Where the two nearly tie, a rounding difference may keep the other
    /// one on some machine (a choice, not an error of the splice), so those rows are left out, and must be few.
    /// </summary>
    private static List<int> RowsWithoutNearTie(TranscoderLayer layer, TranscoderConfig config, int rows)
    {
        var all = Enumerable.Range(0, rows).ToList();
        if (config.Kind != TranscoderKind.TopK) return all;
        return all.Where(r =>
        {
            var sorted = Enumerable.Range(0, config.Width).Select(j => layer.LatentAt(r, j)).OrderByDescending(v => v).ToArray();
            return sorted[config.K - 1] <= 0 || sorted[config.K - 1] - sorted[config.K] > 1e-3 * sorted[0];
        }).ToList();
    }

    /// <summary>Seeded weights of the size trained ones have: W_enc ~ N(0, 1/d_in)·4 (so several latents fire), W_dec ~ N(0, 1/width).</summary>
    private static Transcoder Random(TranscoderConfig config, TranscoderSource source)
    {
        var t = Transcoder.Zeros(config, source);
        var random = new SeededRandom(17);
        foreach (ref var w in t.Parameters[Transcoder.EncoderWeight]) w = (float)(random.NextGaussian() * 4 / Math.Sqrt(config.DIn) / 30);
        foreach (ref var b in t.Parameters[Transcoder.EncoderBias]) b = (float)(random.NextGaussian() * 0.1);
        foreach (ref var w in t.Parameters[Transcoder.DecoderWeight]) w = (float)(random.NextGaussian() * 10 / Math.Sqrt(config.Width));
        foreach (ref var b in t.Parameters[Transcoder.DecoderBias]) b = (float)(random.NextGaussian() * 0.1);
        return t;
    }
}
