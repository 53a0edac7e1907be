using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Engine.Tests.Reference;

namespace BitOnnx.Engine.Tests.Model;

/// <summary>
/// The engine's analytic gradients against central differences of the independent double-precision reference.
/// For binary and ternary the quantizer is a step function, so the check is on the weights the forward pass uses
/// (G = ∂L/∂Wq), and the STE's latent gradient G − mean(G) is checked against G separately.
/// Tolerance: the engine runs in float32 (relative rounding ~1e-7 over a few hundred operations per value), the
/// reference difference in double with h = 1e-5 has error ~h²; 2e-3 of the tensor's largest gradient is far above
/// both and far below what a wrong term (a missing transpose, a dropped residual, a wrong scale) produces.
/// </summary>
[TestClass]
public sealed class GradientCheckTests
{
    private const double Step = 1e-5;
    private const double RelativeTolerance = 2e-3;

    public static IEnumerable<object[]> Cases()
    {
        foreach (var preset in TransformerConfig.PresetNames)
            foreach (var mode in Enum.GetValues<WeightQuantization>())
                foreach (var layers in new[] { 1, 2 })
                    yield return [preset, mode, layers, QuantScope.Linears];
        // A fully quantized network: W_E and W_U go through the quantizer and the STE as well.
        foreach (var preset in TransformerConfig.PresetNames)
            foreach (var mode in new[] { WeightQuantization.Binary, WeightQuantization.Ternary })
                yield return [preset, mode, 1, QuantScope.All];
    }

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataSourceType.Method)]
    public void AnalyticGradientMatchesFiniteDifferences(string preset, WeightQuantization mode, int layers, QuantScope scope)
    {
        var config = TinyModels.Config(preset, mode, layers, scope);
        var latent = ParameterInitializer.Initialize(config, seed: 3);
        var effective = TinyModels.Quantized(config, latent);
        var (tokens, targets) = TinyModels.AllPairs(config.P);

        var fullPrecision = TinyModels.FullPrecision(config);
        var (engineLoss, gradient) = TinyModels.EngineGradient(fullPrecision, effective, tokens, targets);
        var reference = ReferenceTransformer.ToDouble(effective);
        var referenceLoss = ReferenceTransformer.Loss(config, effective, reference, tokens, targets);
        Assert.AreEqual(referenceLoss, engineLoss, 1e-5 * Math.Max(1, referenceLoss), "forward loss");

        // Float rounding in backprop is relative to the largest gradients flowing through shared activations, so a tensor
        // whose gradients are all tiny is held to a hundredth of the model's largest gradient rather than to its own.
        var globalScale = gradient.Data.Max(MathF.Abs);
        var kinks = 0;
        foreach (var info in effective.Entries)
        {
            var values = reference[info.Name];
            var analytic = gradient.Slice(info).ToArray();
            var indices = SampleIndices(values.Length, 24, StableSeed(info.Name));
            double Difference(int i, double step)
            {
                var saved = values[i];
                values[i] = saved + step;
                var plus = ReferenceTransformer.Loss(config, effective, reference, tokens, targets);
                values[i] = saved - step;
                var minus = ReferenceTransformer.Loss(config, effective, reference, tokens, targets);
                values[i] = saved;
                return (plus - minus) / (2 * step);
            }
            var numeric = indices.Select(i => Difference(i, Step)).ToArray();
            var scale = Math.Max(numeric.Max(Math.Abs), 1e-2 * globalScale);
            for (var s = 0; s < indices.Length; s++)
            {
                if (Math.Abs(numeric[s] - analytic[indices[s]]) <= RelativeTolerance * scale) continue;
                // A ReLU whose input sits within a step of zero makes the difference straddle a kink (and float32 may
                // place the unit on the other side of it than double does). There the derivative itself is ill-defined:
                // a tenth of the step then disagrees with the full step. Such entries are skipped, and counted.
                if (Math.Abs(Difference(indices[s], Step / 10) - numeric[s]) > RelativeTolerance * scale / 2)
                {
                    kinks++;
                    continue;
                }
                Assert.Fail($"{info.Name}[{indices[s]}]: numeric {numeric[s]:G6}, analytic {analytic[indices[s]]:G6} ({preset}, {mode}, {layers} layers; tensor scale {scale:G3}, model scale {globalScale:G3})");
            }
        }
        Assert.IsTrue(kinks <= 2, $"{kinks} entries sat on a ReLU kink: too many to be chance");
    }

    /// <summary>A seed from the name that is the same in every process (string.GetHashCode is randomised per process).</summary>
    private static int StableSeed(string name) => name.Aggregate(17, (h, ch) => unchecked(h * 31 + ch));

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, QuantScope.Linears)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, QuantScope.Linears)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Binary, QuantScope.Linears)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, QuantScope.Linears)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, QuantScope.All)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, QuantScope.All)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, QuantScope.All)]
    public void QuantizedTrainingUsesStraightThroughGradient(string preset, WeightQuantization mode, QuantScope scope)
    {
        var config = TinyModels.Config(preset, mode, scope: scope);
        var latent = ParameterInitializer.Initialize(config, seed: 5);
        var (tokens, targets) = TinyModels.AllPairs(config.P);
        var (quantizedLoss, latentGradient) = TinyModels.EngineGradient(config, latent, tokens, targets);
        var effective = TinyModels.Quantized(config, latent);
        var (effectiveLoss, g) = TinyModels.EngineGradient(TinyModels.FullPrecision(config), effective, tokens, targets);

        Assert.AreEqual(effectiveLoss, quantizedLoss, 1e-9, "a quantized model computes with its quantized weights");
        foreach (var info in latent.Entries)
        {
            var expected = g.Slice(info).ToArray();
            if (info.Quantizable)
            {
                var mean = expected.Average(v => (double)v);
                for (var i = 0; i < expected.Length; i++) expected[i] = (float)(expected[i] - mean);
            }
            var actual = latentGradient.Slice(info).ToArray();
            for (var i = 0; i < expected.Length; i++)
                Assert.AreEqual(expected[i], actual[i], 1e-6f + 1e-5f * Math.Abs(expected[i]), $"{info.Name}[{i}]");
        }
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name)]
    [DataRow(TransformerConfig.Nanda2023Name)]
    public void LastPositionShortcutGivesTheSameGradientAsEveryPosition(string preset)
    {
        var config = TinyModels.Config(preset, WeightQuantization.None, layers: 2);
        var latent = ParameterInitializer.Initialize(config, seed: 7);
        var (tokens, targets) = TinyModels.AllPairs(config.P);
        var (shortLoss, shortGradient) = TinyModels.EngineGradient(config, latent, tokens, targets, lastPositionOnly: true);
        var (fullLoss, fullGradient) = TinyModels.EngineGradient(config, latent, tokens, targets, lastPositionOnly: false);
        Assert.AreEqual(fullLoss, shortLoss, 1e-6);
        for (var i = 0; i < fullGradient.Data.Length; i++)
            Assert.AreEqual(fullGradient.Data[i], shortGradient.Data[i], 1e-5f, $"gradient element {i}");
    }

    private static int[] SampleIndices(int length, int count, int seed)
    {
        if (length <= count) return Enumerable.Range(0, length).ToArray();
        var random = new Random(seed);
        return Enumerable.Range(0, length).OrderBy(_ => random.Next()).Take(count).Order().ToArray();
    }
}
