using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Engine.Hooks;
using BitOnnx.Engine.Model;
using BitOnnx.Engine.Tests.Reference;

namespace BitOnnx.Engine.Tests.Hooks;

/// <summary>
/// A run without writes is the model itself: the engine's <see cref="ActivationCache"/> to the bit (same kernels, same
/// order; block 0's per-row products equal the cache's per-token table rows because a product computes each element as
/// one fused chain in k order whatever the batch), and the double reference within float32's rounding.
/// </summary>
[TestClass]
public sealed class HookedCleanRunTests
{
    /// <summary>
    /// Float32 against the double reference, relative to max(1, the hook's largest value): each value is a few short dot
    /// products deep (u = 6e-8 per operation), which leaves ~1e-7 for most hooks; the two-layer binary nanda2023 model has
    /// scores in the hundreds, whose rounding reaches its second pattern as ~2e-5. A missing write, a wrong head or a
    /// dropped residual is off by 1e-2 or more.
    /// </summary>
    public const double ReferenceTolerance = 1e-4;

    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void CleanRunEqualsTheActivationCacheToTheBit(string preset, WeightQuantization mode, int layers)
    {
        var k = new HookCase(preset, mode, layers);
        var run = k.Model.Run(k.Tokens);
        var cache = ActivationCache.Run(k.Config, k.Latent, k.Tokens);
        Assert.AreEqual(cache.Tensors.Count, run.Activations.InOrder.Count);
        foreach (var tensor in run.Activations.InOrder)
        {
            Assert.AreEqual(cache[tensor.Name].Shape, tensor.Shape, tensor.Name);
            HookAssert.BitEqual(cache[tensor.Name].Data, tensor.Data, $"{k}: {tensor.Name}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void CleanRunMatchesTheDoubleReferenceOnEveryHook(string preset, WeightQuantization mode, int layers)
    {
        var k = new HookCase(preset, mode, layers);
        var run = k.Model.Run(k.Tokens);
        var reference = k.Reference();
        foreach (var tensor in run.Activations.InOrder)
            HookAssert.Close(reference[tensor.Name], tensor.Data, ReferenceTolerance, $"{k}: {tensor.Name}");
    }

    /// <summary>The hooked reference's logits are the plain reference's: the two double forwards hold each other.</summary>
    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, 2)]
    [DataRow(TransformerConfig.Nanda2023Name, 2)]
    public void HookedReferenceAgreesWithThePlainReference(string preset, int layers)
    {
        var k = new HookCase(preset, WeightQuantization.Ternary, layers);
        var plain = ReferenceTransformer.Logits(k.Config, k.Effective, k.Weights, k.Tokens);
        var hooked = k.Reference()[HookNames.Logits];
        for (var n = 0; n < k.Rows; n++)
            for (var o = 0; o < k.Config.DVocabOut; o++)
                Assert.AreEqual(plain[n][o], hooked[n * k.Config.DVocabOut + o], 1e-12 * (1 + Math.Abs(plain[n][o])));
    }

    /// <summary>
    /// M = 0 on every writable hook (with values that would change everything) is the clean run to the bit, forward and
    /// backward: a select with no element selected keeps H, and passes its whole gradient on.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void WritesWithAnAllZeroMaskGiveTheCleanRunToTheBit(string preset, WeightQuantization mode, int layers)
    {
        var k = new HookCase(preset, mode, layers);
        var random = new SeededRandom(17);
        var writes = HookNames.For(k.Config, k.Rows).Where(h => HookLayout.IsWritable(h.Name)).Select(h =>
        {
            var layout = HookLayout.Of(k.Config, h.Name);
            var values = new float[k.Rows * layout.RowSize];
            for (var i = 0; i < values.Length; i++) values[i] = (float)(10 * random.NextGaussian());
            return new HookWrite(layout, new float[layout.RowSize], values);
        }).ToList();

        var clean = k.Model.Run(k.Tokens);
        var written = k.Model.Run(k.Tokens, writes);
        foreach (var tensor in clean.Activations.InOrder)
            HookAssert.BitEqual(tensor.Data, written[tensor.Name].Data, $"{k}: {tensor.Name}");
        var cleanGradients = k.Model.Backward(clean, k.CrossEntropy);
        var writtenGradients = k.Model.Backward(written, k.CrossEntropy);
        foreach (var tensor in cleanGradients.InOrder)
            HookAssert.BitEqual(tensor.Data, writtenGradients[tensor.Name].Data, $"{k}: d/d {tensor.Name}");
    }

    /// <summary>
    /// Two threads give the bits one gives, forward (with writes) and backward: every row loop and product computes each
    /// element the same way on any worker. 300 rows (the 25 pairs twelve times) so that the loops do split.
    /// </summary>
    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name)]
    [DataRow(TransformerConfig.Nanda2023Name)]
    public void ThreadCountChangesNoBit(string preset)
    {
        var k = new HookCase(preset, WeightQuantization.Ternary, layers: 2);
        var tokens = Enumerable.Repeat(k.Tokens, 12).SelectMany(t => t).ToArray();
        var targets = Enumerable.Repeat(k.Targets, 12).SelectMany(t => t).ToArray();
        var one = new HookedModel(k.Config, k.Latent, threads: 1);
        var two = new HookedModel(k.Config, k.Latent, threads: 2);
        var clean = one.Run(tokens);
        var writes = one.Resolve([
            Intervention.Resample(HookNames.Z(0), new HookIndex(Head: 1)),
            Intervention.Mean(HookNames.Pattern(1), new HookIndex(Position: 2, Head: 0)),
            Intervention.Zero(HookNames.MlpPost(1), new HookIndex(Neuron: 4)),
        ], clean, seed: 5);
        var metric = LogitMetric.CrossEntropy(targets, k.Config.DVocabOut);
        var (runOne, runTwo) = (one.Run(tokens, writes), two.Run(tokens, writes));
        var (gradOne, gradTwo) = (one.Backward(runOne, metric), two.Backward(runTwo, metric));
        foreach (var tensor in runOne.Activations.InOrder)
        {
            HookAssert.BitEqual(tensor.Data, runTwo[tensor.Name].Data, tensor.Name);
            HookAssert.BitEqual(gradOne[tensor.Name].Data, gradTwo[tensor.Name].Data, $"d/d {tensor.Name}");
        }
    }
}
