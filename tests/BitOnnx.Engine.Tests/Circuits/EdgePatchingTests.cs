using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Engine.Circuits;
using BitOnnx.Engine.Hooks;
using BitOnnx.Engine.Tests.Hooks;

namespace BitOnnx.Engine.Tests.Circuits;

/// <summary>
/// Edge patching on the engine: every mask clean is the hooked model's clean run and every mask corrupted its run on
/// the resampled tokens, both to the bit (the sums are the model's, in its order); one edge corrupted, mean ablation
/// and masks between and beyond 0 and 1 agree with the double reference within float32's rounding
/// (<see cref="Hooks.HookedCleanRunTests.ReferenceTolerance"/>); a run that changes its masks and recomputes only what
/// they reach gives what a fresh run gives, to the bit, and so does any thread count.
/// </summary>
[TestClass]
public sealed class EdgePatchingTests
{
    private const double Tolerance = HookedCleanRunTests.ReferenceTolerance;

    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void EveryMaskCleanIsTheCleanRunAndEveryMaskCorruptedTheCorruptedRunToTheBit(string preset, WeightQuantization mode, int layers)
    {
        var k = new CircuitCase(preset, mode, layers);
        var clean = k.Patching.Clean.Logits;
        var corrupted = k.Hooks.Model.Run(k.Patching.CorruptTokens!).Logits;
        HookAssert.BitEqual(clean, k.Patching.NewRun(0).Logits(), $"{k}: every mask clean");
        HookAssert.BitEqual(corrupted, k.Patching.NewRun(1).Logits(), $"{k}: every mask corrupted");
        var run = k.Patching.NewRun(0);
        run.Logits();
        run.SetAll(1);
        HookAssert.BitEqual(corrupted, run.Logits(), $"{k}: clean, then every mask corrupted");
        run.SetAll(0);
        HookAssert.BitEqual(clean, run.Logits(), $"{k}: and back");
        Assert.IsTrue(clean.Zip(corrupted).Any(x => Math.Abs(x.First - x.Second) > 1e-2), "the corrupted run differs");
    }

    [TestMethod]
    [DynamicData(nameof(CircuitCase.Representative), typeof(CircuitCase), DynamicDataSourceType.Method)]
    public void EachEdgeCorruptedAloneMatchesTheReference(string preset, WeightQuantization mode, int layers)
    {
        var k = new CircuitCase(preset, mode, layers);
        var run = k.Patching.NewRun(0);
        var moving = 0;
        foreach (var edge in k.Graph.Edges)
        {
            run[edge] = 1;
            var alpha = new double[k.Graph.Edges.Count];
            alpha[edge.Index] = 1;
            var expected = k.Reference(alpha);
            HookAssert.Close(expected, run.Logits(), Tolerance, $"{k}: {edge} corrupted");
            if (expected.Zip(k.Clean.Logits).Max(x => Math.Abs(x.First - x.Second)) > 1e-2) moving++;
            run[edge] = 0;
        }
        Assert.IsTrue(moving >= k.Graph.Edges.Count / 4, $"{k}: only {moving} of {k.Graph.Edges.Count} edges move the logits");
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 2)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 2)]
    public void MeanAblationAndMasksBetweenCleanAndCorruptedMatchTheReference(string preset, WeightQuantization mode, int layers)
    {
        foreach (var corruption in Enum.GetValues<Corruption>())
        {
            var k = new CircuitCase(preset, mode, layers, corruption);
            var all = Enumerable.Repeat(1.0, k.Graph.Edges.Count).ToArray();
            HookAssert.Close(k.Reference(all), k.Patching.NewRun(1).Logits(), Tolerance, $"{k}, {corruption}: every mask corrupted");
            var random = new SeededRandom(8);
            var alpha = k.Graph.Edges.Select(_ => (double)(float)(2 * random.NextDouble() - 0.5)).ToArray();
            var run = k.Patching.NewRun();
            foreach (var edge in k.Graph.Edges) run[edge] = (float)alpha[edge.Index];
            HookAssert.Close(k.Reference(alpha), run.Logits(), Tolerance, $"{k}, {corruption}: masks in [-0.5, 1.5]");
        }
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 2)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 2)]
    public void ARunThatChangesItsMasksGivesWhatAFreshRunGives(string preset, WeightQuantization mode, int layers)
    {
        var k = new CircuitCase(preset, mode, layers);
        var run = k.Patching.NewRun();
        var random = new SeededRandom(11);
        var values = new[] { 0f, 1f, 0.375f };
        for (var step = 0; step < 40; step++)
        {
            for (var change = 0; change <= step % 3; change++) run[random.NextInt(k.Graph.Edges.Count)] = values[random.NextInt(3)];
            var fresh = k.Patching.NewRun();
            foreach (var edge in k.Graph.Edges) fresh[edge] = run[edge];
            HookAssert.BitEqual(fresh.Logits(), run.Logits(), $"{k}: step {step}");
        }
    }

    [TestMethod]
    public void AnyThreadCountGivesTheSameBits()
    {
        var k = new CircuitCase(TransformerConfig.Nanda2023Name, WeightQuantization.Binary, 2);
        var threaded = new EdgePatching(new HookedModel(k.Config, k.Hooks.Latent, threads: 3), k.Hooks.Tokens, Corruption.Resample, seed: 4);
        var random = new SeededRandom(2);
        var (one, three) = (k.Patching.NewRun(), threaded.NewRun());
        foreach (var edge in k.Graph.Edges) one[edge] = three[edge] = random.NextInt(2);
        HookAssert.BitEqual(one.Logits(), three.Logits(), "1 and 3 threads");
    }
}
