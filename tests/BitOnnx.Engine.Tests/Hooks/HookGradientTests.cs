using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;

namespace BitOnnx.Engine.Tests.Hooks;

/// <summary>
/// The engine's gradients at every hook against central differences of the double reference's metric (cross-entropy
/// and logit difference, the reference's own formulas), without writes and through writes, where an overwritten element
/// must pass nothing back. Tolerance: the engine's gradients are float32 chains a few products long (differences from
/// the reference of at most 8e-7 of a hook's largest gradient over both presets, all modes and 1–2 layers); the
/// differences are taken in double with h = 1e-6, whose truncation (~h²) and rounding (~1e-16/h) are far smaller.
/// 1e-4 of the hook's largest gradient (at least 1e-2 of the model's) leaves room for both and catches any wrong term.
/// </summary>
[TestClass]
public sealed class HookGradientTests
{
    private const double Step = 1e-6;
    private const double Tolerance = 1e-4;

    /// <summary>
    /// An attribution sums (corrupted − clean) · gradient over a node: its float32 error is at most Σ |corrupted − clean|
    /// times a gradient element's error, which is below 1e-6 of the hook's largest gradient (above); ten times that.
    /// </summary>
    private const double AttributionTolerance = 1e-5;

    /// <summary>
    /// Writes of every kind in one run: part of a residual stream, one pattern entry, a neuron, a head. No zero ablation
    /// of a whole residual position: that makes every hook_pre there exactly 0, where the ReLU has no derivative (the
    /// engine takes 0, as PyTorch; a central difference takes the mean of the two sides).
    /// </summary>
    public static List<HookWrite> MixedWrites(HookCase k)
    {
        var last = k.Config.NLayers - 1;
        var values = new float[k.Config.NHeads * k.Config.NCtx * k.Config.NCtx];
        Array.Fill(values, 0.3f);
        var clean = k.Model.Run(k.Tokens);
        return k.Model.Resolve([
            Intervention.Resample(HookNames.ResidMid(0), new HookIndex(Position: 1)),
            Intervention.Patch(HookNames.Pattern(last), values, new HookIndex(Position: 2, Head: 0, Source: 1)),
            Intervention.Resample(HookNames.MlpPost(0), new HookIndex(Neuron: 2)),
            Intervention.Mean(HookNames.Z(0), new HookIndex(Position: 2, Head: 1)),
            Intervention.Zero(HookNames.K(last), new HookIndex(Position: 0, Head: 0)),
        ], clean, seed: 9).ToList();
    }

    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void GradientAtEveryHookMatchesFiniteDifferences(string preset, WeightQuantization mode, int layers)
    {
        var k = new HookCase(preset, mode, layers);
        foreach (var writes in new[] { new List<HookWrite>(), MixedWrites(k) })
            foreach (var metric in new[] { k.CrossEntropy, k.LogitDifference })
            {
                var gradients = k.Model.Backward(k.Model.Run(k.Tokens, writes), metric);
                var differences = new FiniteDifferences(k, metric, writes);
                var global = gradients.InOrder.Max(t => t.Data.Max(MathF.Abs));
                var random = new SeededRandom(5);
                var kinks = 0;
                foreach (var hook in gradients.InOrder)
                {
                    var scale = Math.Max(hook.Data.Max(MathF.Abs), 1e-2 * global);
                    for (var s = 0; s < 6; s++)
                    {
                        var i = random.NextInt(hook.Data.Length);
                        var numeric = differences.At(hook.Name, hook.Data.Length, i, Step);
                        if (Math.Abs(numeric - hook.Data[i]) <= Tolerance * scale) continue;
                        // A ReLU input within a step of zero puts the difference across a kink, where the derivative
                        // is not defined: a tenth of the step then disagrees with the full step. Skipped, and counted.
                        if (Math.Abs(differences.At(hook.Name, hook.Data.Length, i, Step / 10) - numeric) > Tolerance * scale / 2)
                        {
                            kinks++;
                            continue;
                        }
                        Assert.Fail($"{k}, {metric.Name}, {writes.Count} writes: d/d {hook.Name}[{i}] is {hook.Data[i]:G6}; the reference's difference is {numeric:G6} (scale {scale:G3})");
                    }
                }
                Assert.IsTrue(kinks <= 1, $"{kinks} samples sat on a ReLU kink: too many to be chance");
            }
    }

    /// <summary>
    /// Attribution patching's estimate of a patch, Σ (corrupted − clean) · d metric / d H over the node's elements at the
    /// clean point, is the derivative of the reference's metric along the patch, d/dα metric(clean + α (corrupted −
    /// clean)) at α = 0, for every writable hook whole and for a head, a neuron, a pattern row and a position.
    /// Tolerance: <see cref="AttributionTolerance"/>.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void AttributionEstimateIsTheDerivativeAlongThePatch(string preset, WeightQuantization mode, int layers)
    {
        var k = new HookCase(preset, mode, layers);
        var clean = k.Model.Run(k.Tokens);
        var corrupt = k.Model.Run(k.CorruptTokens);
        var (cleanReference, corruptReference) = (k.Reference(), k.Reference(tokens: k.CorruptTokens));
        var last = layers - 1;
        var nodes = HookNames.For(k.Config, k.Rows).Where(h => HookLayout.IsWritable(h.Name)).Select(h => (h.Name, HookIndex.All))
            .Concat([
                (HookNames.Z(last), new HookIndex(Head: 1)),
                (HookNames.MlpPost(0), new HookIndex(Neuron: 3)),
                (HookNames.Pattern(last), new HookIndex(Position: 2, Head: 0)),
                (HookNames.ResidPre(0), new HookIndex(Position: 0)),
            ]).ToList();
        foreach (var metric in new[] { k.CrossEntropy, k.LogitDifference })
        {
            var gradients = k.Model.Backward(clean, metric);
            var differences = new FiniteDifferences(k, metric, []);
            int moving = 0, kinks = 0;
            foreach (var (hook, index) in nodes)
            {
                var mask = HookLayout.Of(k.Config, hook).Mask(index);
                var gradient = gradients[hook].Data;
                double estimate = 0, bound = 0;
                var direction = new double[gradient.Length];
                var scale = gradient.Max(MathF.Abs);
                for (var i = 0; i < gradient.Length; i++)
                {
                    if (mask[i % mask.Length] == 0) continue;
                    var change = (double)corrupt[hook].Data[i] - clean[hook].Data[i];
                    estimate += change * gradient[i];
                    bound += Math.Abs(change) * scale;
                    direction[i] = corruptReference[hook][i] - cleanReference[hook][i];
                }
                var numeric = differences.Along(hook, direction, Step);
                var tolerance = AttributionTolerance * bound + 1e-9;
                if (Math.Abs(numeric - estimate) > tolerance && Math.Abs(differences.Along(hook, direction, Step / 10) - numeric) > tolerance / 2)
                {
                    kinks++; // across a ReLU kink, as in the check above
                    continue;
                }
                Assert.AreEqual(numeric, estimate, tolerance, $"{k}, {metric.Name}: attribution of {hook}{index.Describe()}");
                if (Math.Abs(numeric) > 10 * tolerance) moving++;
            }
            Assert.IsTrue(moving >= 5, $"{k}, {metric.Name}: only {moving} of {nodes.Count} patches move the metric by ten times the tolerance");
            Assert.IsTrue(kinks <= 1, $"{kinks} patches sat on a ReLU kink: too many to be chance");
        }
    }

    /// <summary>
    /// Select semantics, exactly: what an overwritten element feeds gets no gradient through it. Overwriting resid_pre
    /// leaves the embeddings none; overwriting the whole pattern leaves scores, q and k none (v still mixes); overwriting
    /// hook_post leaves hook_pre none. The overwritten hooks' own gradients are not zero (resid_pre is resampled, not
    /// zeroed, so that v, and with it the pattern's gradient, is not zero).
    /// </summary>
    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary)]
    public void OverwrittenElementsPassNoGradient(string preset, WeightQuantization mode)
    {
        var k = new HookCase(preset, mode, layers: 1);
        var clean = k.Model.Run(k.Tokens);
        var uniform = new float[k.Config.NHeads * k.Config.NCtx * k.Config.NCtx];
        Array.Fill(uniform, 1f / k.Config.NCtx);
        var writes = k.Model.Resolve([
            Intervention.Resample(HookNames.ResidPre(0)),
            Intervention.Patch(HookNames.Pattern(0), uniform),
            Intervention.Mean(HookNames.MlpPost(0)),
        ], clean);
        var gradients = k.Model.Backward(k.Model.Run(k.Tokens, writes), k.CrossEntropy);
        var blocked = new List<string> { HookNames.Embed, HookNames.AttnScores(0), HookNames.Q(0), HookNames.K(0), HookNames.MlpPre(0) };
        if (k.Config.PositionalEmbedding) blocked.Add(HookNames.PosEmbed);
        foreach (var hook in blocked)
            Assert.IsTrue(gradients[hook].Data.All(g => g == 0), $"{hook} gets gradient through an overwritten value");
        foreach (var hook in new[] { HookNames.ResidPre(0), HookNames.Pattern(0), HookNames.V(0), HookNames.MlpPost(0) })
            Assert.IsTrue(gradients[hook].Data.Any(g => g != 0), $"{hook}'s own gradient is zero");
    }
}
