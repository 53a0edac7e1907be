using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Torch.Sequence;
using TorchSharp;
using static BitOnnx.Equivalence.Tests.Sequence.SequenceModels;

namespace BitOnnx.Equivalence.Tests.Sequence;

/// <summary>
/// The engine's gradient of the slot loss (mean cross-entropy over the answer slots) for every parameter: against
/// TorchSharp's autograd in float64 on the same weights (the straight-through estimator included), against central
/// finite differences of the engine's own loss, and the same bits for one thread and two.
/// </summary>
[TestClass]
public sealed class EngineSequenceGradientTests
{
    /// <summary>
    /// 1e-3 of each tensor's largest |gradient| (plus 1e-7): the engine's float32 backward rounds at 6e-8 per operation
    /// through two layers and a LayerNorm each way, a few hundred roundoffs of the largest terms (~1e-5 relative);
    /// a wrong term (a missing skip, bias or mean in the STE) changes entries by a sizeable part of the largest.
    /// </summary>
    [TestMethod]
    public void GradientsEqualTorchSharpsFloat64AutogradInEveryWeightMode()
    {
        foreach (var c in EveryWeightMode())
        {
            var parameters = RandomParameters(c, seed: 31);
            var batch = Add2.Batch(seed: 10, step: 0, batchSize: 6);
            var engine = OnEngine(c, parameters);
            var gradient = engine.Parameters.ZerosLike();
            double loss = engine.LossAndGradient(batch, Add2, gradient);

            using var model = new SequenceTransformer(c, torch.ScalarType.Float64);
            model.LoadFrom(parameters);
            using var slotLoss = new SlotLoss(Add2);
            using var scope = torch.NewDisposeScope();
            var torchLoss = slotLoss.Loss(model.Forward(SlotLoss.Tokens(batch)), SlotLoss.Targets(batch));
            torchLoss.backward();
            Assert.AreEqual(torchLoss.item<double>(), loss, 1e-5 * loss, $"{c.Quantization} {c.BinaryScale} loss");
            foreach (var (name, parameter) in model.Parameters())
            {
                var expected = parameter.grad!.data<double>().ToArray();
                var actual = gradient[name];
                double scale = expected.Max(Math.Abs);
                Assert.IsTrue(scale > 0 || name.StartsWith("pos_embed", StringComparison.Ordinal) || name.Contains(".b_K", StringComparison.Ordinal), $"{name} has a gradient");
                for (int i = 0; i < expected.Length; i++)
                    Assert.AreEqual(expected[i], actual[i], 1e-3 * scale + 1e-7, $"{c.Quantization} {c.BinaryScale} {name}[{i}]");
            }
        }
    }

    /// <summary>
    /// (L(θ + h) − L(θ − h)) / 2h of the engine's loss at h = 2e-3, three entries of every parameter. The loss comes
    /// from float32 logits: its rounding (~1e-7 of a loss near 3) over 2h is ~1e-4 at worst and ~2e-5 typically, the
    /// truncation h²/6 · L‴ under 1e-6 for third derivatives of order one; the bound 2e-4 + 1% is above both and
    /// below the gradients' sizes (~1e-2). A larger h lets a ReLU's input cross zero inside the step (at h = 1e-2 one
    /// does, on blocks.0.ln1.w here), where finite differences stop being a derivative.
    /// Full precision everywhere; ternary on the parameters its quantizer does not read (a latent step moves the codes).
    /// </summary>
    [TestMethod]
    public void GradientsAreCentralFiniteDifferencesOfTheEnginesLoss()
    {
        foreach (var c in new[] { Tiny(), Tiny(WeightQuantization.Ternary) })
        {
            var engine = OnEngine(c, RandomParameters(c, seed: 32));
            var batch = Add2.Batch(seed: 11, step: 0, batchSize: 6);
            var gradient = engine.Parameters.ZerosLike();
            engine.LossAndGradient(batch, Add2, gradient);
            var scratch = engine.Parameters.ZerosLike();
            double Loss() => engine.LossAndGradient(batch, Add2, scratch);
            const float h = 2e-3f;
            var random = new SeededRandom(12);
            var quantizable = c.Parameters().Where(p => p.Quantizable).Select(p => p.Name).ToHashSet();
            foreach (var info in engine.Parameters.Entries)
            {
                if (c.Quantization != WeightQuantization.None && quantizable.Contains(info.Name)) continue;
                var values = engine.Parameters.Slice(info);
                for (int probe = 0; probe < 3; probe++)
                {
                    int at = random.NextInt(values.Length);
                    float original = values[at];
                    values[at] = original + h;
                    double plus = Loss();
                    values[at] = original - h;
                    double minus = Loss();
                    values[at] = original;
                    double numeric = (plus - minus) / (2 * (double)h);
                    Assert.AreEqual(numeric, gradient[info.Name][at], 2e-4 + 0.01 * Math.Abs(numeric), $"{c.Quantization} {info.Name}[{at}]");
                }
            }
        }
    }

    [TestMethod]
    public void GradientsAreTheSameBitsForOneThreadAndTwo()
    {
        var c = Tiny(WeightQuantization.Binary);
        var parameters = RandomParameters(c, seed: 33);
        var batch = Add2.Batch(seed: 13, step: 0, batchSize: 160);
        float[] Gradient(int threads)
        {
            var engine = OnEngine(c, parameters, threads);
            var gradient = engine.Parameters.ZerosLike();
            engine.LossAndGradient(batch, Add2, gradient);
            return gradient.Data;
        }
        CollectionAssert.AreEqual(Gradient(1), Gradient(2));
    }
}
