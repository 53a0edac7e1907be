using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Training;

namespace BitOnnx.Torch.Tests;

/// <summary>
/// Autograd through the TorchSharp model (and its STE) gives the engine's analytic latent gradients for every
/// parameter: both presets, three modes, 1 and 2 layers. The engine's own finite-difference check stays in Core's tests.
/// </summary>
[TestClass]
public sealed class GradientEquivalenceTests
{
    private const int P = 23;

    /// <summary>
    /// 1e-4 of each gradient's largest magnitude. Forward values agree to ~1e-6 (see ForwardEquivalenceTests) and the
    /// codes are identical, so the only differences are float32 rounding: a gradient entry sums up to B = 158 rows
    /// (the train split) of products, each from a chain of 3-5 float32 matrix products whose summation order differs
    /// (libtorch's blocked GEMM vs the engine's), ≈ sqrt(158 · 512) · 6e-8 ≈ 2e-5 of the largest term in the worst case;
    /// the STE's mean(G) subtraction, also in float32 on one side and float64 on the other, adds ≤ 1e-7. 1e-4 leaves 5×.
    /// </summary>
    private const double Tolerance = 1e-4;

    [TestMethod]
    public void LatentGradientsEqualTheEnginesForEveryParameter()
    {
        var data = ModularAdditionData.Split(P, 0.3, seed: 2);
        foreach (var c in EngineReference.Configs(P))
        {
            var parameters = ParameterInitializer.Initialize(c, seed: 7);
            var expected = EngineReference.LatentGradient(c, parameters, data.TrainRows);

            // Learning rate 0 with no decay: the step leaves the weights alone but keeps autograd's gradients.
            var frozen = new AdamWSettings { LearningRate = 1e-30, WeightDecay = 0 };
            using var step = new TorchTrainingStep(c, parameters, frozen, data, threads: 1);
            step.Run();
            var actual = step.Gradients();
            foreach (var info in expected.Entries)
            {
                var error = EngineReference.RelativeError(actual.Slice(info), expected.Slice(info));
                Assert.IsTrue(error <= Tolerance, $"{EngineReference.Describe(c)} {info.Name}: relative error {error:E2}");
            }
            if (c.Quantization != WeightQuantization.None)
                foreach (var info in expected.Entries.Where(e => e.Quantizable))
                    Assert.AreEqual(0, Mean(actual.Slice(info)), 1e-6 * MaxAbs(actual.Slice(info)), $"{info.Name}: the STE's G − mean(G) sums to zero");
        }
    }

    private static double Mean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }

    private static double MaxAbs(ReadOnlySpan<float> values)
    {
        double max = 0;
        foreach (var v in values) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
