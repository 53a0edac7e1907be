using BitOnnx.Analysis.Transcoders;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx.Runtime;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Transcoders;

/// <summary>ce_loss_score, KL and accuracies on a toy computed by hand; the splice on a shipped model against its own clean run.</summary>
[TestClass]
public sealed class SpliceLossesTests
{
    private static ModelSession? _session;

    /// <summary>The shipped binary model's splice, opened once for the tests that run it.</summary>
    private static readonly Lazy<TranscoderSplice> Binary = new(() =>
        new TranscoderSplice(_session = ModelSession.Open(Path.Combine(RepositoryRoot.Path, "models", "li2024-binary", "li2024-binary.onnx"))));

    [ClassCleanup]
    public static void CloseSession() => _session?.Dispose();

    /// <summary>
    /// P = 2, all four pairs (targets 0, 1, 1, 0). Clean: the target's logit ln 9, the other 0, so p(target) = 0.9 and
    /// the loss −ln 0.9 = 0.1053605. Spliced: ln 3 against 0, p = 0.75, loss −ln 0.75 = 0.2876821. Zero-ablated: both 0,
    /// loss ln 2 = 0.6931472, and the tie goes to class 0, right on the two pairs whose target is 0.
    /// ce_loss_score = (0.6931472 − 0.2876821) / (0.6931472 − 0.1053605) = 0.4054651 / 0.5877867 = 0.6898168.
    /// KL per row = 0.9·ln(0.9 / 0.75) + 0.1·ln(0.1 / 0.25) = 0.1640894 − 0.0916291 = 0.0724603.
    /// </summary>
    [TestMethod]
    public void AHandComputedToy()
    {
        int[] targets = [0, 1, 1, 0];
        float[] Logits(double target) => targets.SelectMany(t => t == 0 ? new[] { (float)target, 0f } : [0f, (float)target]).ToArray();
        var losses = SpliceLosses.Compute(Logits(Math.Log(9)), Logits(Math.Log(3)), new float[8], 2, [0, 1, 2, 3]);
        Assert.AreEqual(0.1053605, losses.CeLossClean, 1e-6);
        Assert.AreEqual(0.2876821, losses.CeLossSpliced, 1e-6);
        Assert.AreEqual(0.6931472, losses.CeLossZeroAblated, 1e-6);
        Assert.AreEqual(0.6898168, losses.CeLossScore, 1e-6);
        Assert.AreEqual(0.0724603, losses.Kl, 1e-6);
        Assert.AreEqual((1.0, 1.0, 0.5), (losses.AccuracyClean, losses.AccuracySpliced, losses.AccuracyZeroAblated));
    }

    /// <summary>Splicing in the MLP's own output is the clean run to the bit: ce_loss_score 1, KL 0.</summary>
    [TestMethod]
    public void SplicingTheMlpsOwnOutputIsTheCleanRun()
    {
        var splice = Binary.Value;
        var logits = splice.Logits(splice.MlpOutput);
        CollectionAssert.AreEqual(splice.CleanLogits, logits);
        var losses = splice.Losses(logits);
        Assert.AreEqual(1.0, losses.CeLossScore, 1e-12);
        Assert.AreEqual(0.0, losses.Kl, 1e-12);
        Assert.IsTrue(losses.AccuracyZeroAblated < 0.05, $"zero-ablated accuracy {losses.AccuracyZeroAblated}");
    }

    /// <summary>
    /// Latents given by a caller decode through W_dec and b_dec before the splice: a transcoder whose decoder is the
    /// identity on one latent per coordinate (W_dec = [I; −I], b_dec = 0) and latents ReLU(±y) reproduces y, so the clean run.
    /// </summary>
    [TestMethod]
    public void GivenLatentsAreDecodedAndSpliced()
    {
        var splice = Binary.Value;
        int d = splice.Config.DModel, rows = splice.P * splice.P;
        var t = Transcoder.Zeros(new TranscoderConfig(TranscoderKind.L1, d, d, 2 * d, 0, 0, 0), new TranscoderSource("x", splice.P, "0"));
        var wDec = t.Parameters[Transcoder.DecoderWeight];
        for (int i = 0; i < d; i++)
        {
            wDec[i * d + i] = 1;
            wDec[(d + i) * d + i] = -1;
        }
        var latents = new float[rows * 2 * d];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < d; i++)
            {
                var y = splice.MlpOutput[r * d + i];
                latents[r * 2 * d + (y >= 0 ? i : d + i)] = Math.Abs(y);
            }
        var losses = splice.LossesOfLatents(t, latents);
        Assert.AreEqual(1.0, losses.CeLossScore, 1e-9);
    }
}
