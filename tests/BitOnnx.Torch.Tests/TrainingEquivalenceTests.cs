using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.Torch.Training;

namespace BitOnnx.Torch.Tests;

/// <summary>
/// The two backends train alike from the same seed: the same initial weights, split, loss, STE and AdamW settings
/// (warm-up included) give the same loss curve.
/// </summary>
[TestClass]
public sealed class TrainingEquivalenceTests
{
    /// <summary>
    /// Tolerance of train losses over 50 steps while both sides use the same codes. Each step's gradient agrees to ~1e-6
    /// (GradientEquivalenceTests), but AdamW divides by sqrt(v): an entry whose gradient is near zero moves by up to ±lr
    /// whichever way float32 rounding tips its sign, so the weights drift apart by up to ~1e-2 of their scale within 50
    /// steps (measured 3e-2 for single entries) while the loss, an average over all of them, moves ≤ 6e-4 (measured at
    /// P = 23-47, both presets, three modes). 2e-3 leaves 3×.
    /// </summary>
    private const double CurveTolerance = 2e-3;

    /// <summary>
    /// 50 steps at P = 31, both presets, three modes. A binary or ternary weight whose latent value sits within rounding
    /// of its tensor's mean may get a different code on the two sides; from then on the runs are two different (equally
    /// valid) trajectories, so the curve is compared until the codes first differ, and that must not be early.
    /// </summary>
    [TestMethod]
    public void FiftyStepsGiveTheSameLossCurveWhileTheCodesAgree()
    {
        const int p = 31, steps = 50;
        var data = ModularAdditionData.Split(p, 0.3, seed: 4);
        foreach (var c in EngineReference.Configs(p).Where(c => c.NLayers == 1))
        {
            var settings = Settings(c);
            var engineParameters = ParameterInitializer.Initialize(c, seed: 4);
            using var torchStep = new TorchTrainingStep(c, engineParameters, settings, data, threads: 1);
            var engine = new TrainingStep(c, engineParameters, new AdamW(settings, engineParameters), data, threads: 1);
            var compared = 0;
            for (var s = 0; s < steps && SameCodes(c, engineParameters, torchStep.Model.ToParameterSet()); s++)
            {
                double expected = engine.Run(), actual = torchStep.Run();
                var error = Math.Abs(actual - expected) / expected;
                // Step 0 starts from identical weights: only the float32 forward differs (≤ 1e-6 of the logits).
                Assert.IsTrue(error <= (s == 0 ? 1e-6 : CurveTolerance), $"{EngineReference.Describe(c)} step {s}: loss {actual} vs {expected}");
                compared++;
            }
            Assert.IsTrue(compared >= (c.Quantization == WeightQuantization.None ? steps : 20),
                $"{EngineReference.Describe(c)}: the codes parted after {compared} steps");
        }
    }

    /// <summary>
    /// At P = 113 (the papers' size) the first epoch's train loss agrees to 1e-4 (measured ≤ 1e-9) and the curves stay
    /// within 1e-2 of each other for 20 epochs (measured ≤ 4e-4): this includes code changes, which at P = 113 move the
    /// loss less than at small P because each weight matters less.
    /// </summary>
    [TestMethod]
    public void AtP113TheFirstEpochAgreesAndTwentyEpochsStayClose()
    {
        foreach (var preset in new[] { TransformerConfig.Li2024 with { Quantization = WeightQuantization.Binary }, TransformerConfig.Nanda2023 })
        {
            var c = preset;
            var data = ModularAdditionData.Split(c.P, 0.3, seed: 0);
            var settings = Settings(c);
            var parameters = ParameterInitializer.Initialize(c, seed: 0);
            using var torchStep = new TorchTrainingStep(c, parameters, settings, data, threads: 1);
            var engine = new TrainingStep(c, parameters, new AdamW(settings, parameters), data, threads: 1);
            for (var epoch = 1; epoch <= 20; epoch++)
            {
                double expected = engine.Run(), actual = torchStep.Run();
                var error = Math.Abs(actual - expected) / expected;
                Assert.IsTrue(error <= (epoch == 1 ? 1e-4 : 1e-2), $"{EngineReference.Describe(c)} epoch {epoch}: {actual} vs {expected}");
            }
            var (engineTest, torchTest) = (engine.Evaluate(), torchStep.Evaluate());
            Assert.AreEqual(engineTest.Loss, torchTest.Loss, 1e-2 * engineTest.Loss, "test loss after 20 epochs");
        }
    }

    [TestMethod]
    public void MomentsAndStepRoundTripThroughTheParameterLayout()
    {
        var c = TransformerConfig.Li2024 with { P = 23, Quantization = WeightQuantization.Ternary };
        var data = ModularAdditionData.Split(c.P, 0.3, seed: 1);
        var parameters = ParameterInitializer.Initialize(c, seed: 1);
        using var a = new TorchTrainingStep(c, parameters, new AdamWSettings(), data, threads: 1);
        for (var i = 0; i < 3; i++) a.Run();
        var (first, second, step) = a.Moments();
        Assert.AreEqual(3, step);
        Assert.IsTrue(second.Data.All(v => v >= 0) && second.Data.Any(v => v > 0), "second moments are squares");

        // A resumed copy takes the same fourth step as the original.
        using var b = new TorchTrainingStep(c, a.Model.ToParameterSet(), new AdamWSettings(), data, threads: 1);
        b.LoadMoments(first, second, step);
        Assert.AreEqual(a.Run(), b.Run(), 0);
        CollectionAssert.AreEqual(a.Model.ToParameterSet().Data, b.Model.ToParameterSet().Data);
    }

    /// <summary>Nanda et al. warm up for 10 steps; Li does not.</summary>
    private static AdamWSettings Settings(TransformerConfig c) =>
        AdamWSettings.Recipe(c.Preset);

    private static bool SameCodes(TransformerConfig c, ParameterSet a, ParameterSet b)
    {
        if (c.Quantization == WeightQuantization.None) return true;
        foreach (var info in a.Entries.Where(e => e.Quantizable))
        {
            var (codesA, codesB) = (new float[info.Shape.Size], new float[info.Shape.Size]);
            WeightQuantizer.Codes(a.Slice(info), codesA, c.Quantization, c.BinaryScale);
            WeightQuantizer.Codes(b.Slice(info), codesB, c.Quantization, c.BinaryScale);
            if (!codesA.AsSpan().SequenceEqual(codesB)) return false;
        }
        return true;
    }
}
