using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;
using BitOnnx.Onnx.Verification;
using BitOnnx.Torch.Interventions;

namespace BitOnnx.Equivalence.Tests;

/// <summary>
/// Interventions give the same model in the engine, TorchSharp and ONNX Runtime: for zero, mean and resample ablations
/// and patching from a corrupted input's cache, at a head of hook_z, a neuron of mlp.hook_post, hook_mlp_out,
/// hook_attn_out, one position of hook_resid_pre and one pattern entry, one at a time and together, on every pair of
/// a briefly trained model at P = 31 for both presets and three modes (and two-layer models, where a write in block 0
/// reaches block 1), the logits and hooks downstream of the writes agree pairwise. The writes are made two ways, and
/// both are needed. Each backend resolving its own (means, resamples and the corrupted cache from its own runs) is what
/// a user of that backend gets, so agreement there says ablation and patching tables agree whichever backend made them;
/// but the written values then differ in their last bits, and a fault in resolving cannot be told from one in applying.
/// One set of writes fed to all three writes the same bits everywhere, which holds the applying (the select at the
/// right elements, at the right place in the pass, and everything downstream) to the tolerances alone, but never runs
/// any backend's own resolving. The hook gradients of both metrics, with and without writes, agree between the engine
/// and TorchSharp; ONNX Runtime has no gradients (the exported graph is inference-only), so it is not in that test.
/// </summary>
[TestClass]
public sealed class ThreeBackendInterventionTests
{
    /// <summary>
    /// The bounds of <see cref="ThreeBackendHookTests"/>: engine vs TorchSharp 1e-5 of the magnitude (float32 sums in
    /// different orders, equal codes), anything vs ONNX Runtime <see cref="ExportVerification.DefaultTolerance"/>, both
    /// per unit of max(1, magnitude) as <see cref="OutputDifference.Bound"/> takes them.
    /// </summary>
    private const double EngineTorchTolerance = 1e-5;

    /// <summary>
    /// Engine vs TorchSharp hook gradients, per unit of the hook's largest engine gradient. tests/BitOnnx.Engine.Tests
    /// and BitOnnx.Torch.Tests hold each backward to finite differences of a float64 reference at 1e-4 and 2e-5 of the
    /// same scale, so those bounds alone allow the two 1.2e-4 apart. Measured here, with the preset widths (sums over
    /// d_mlp 512 where those tests have 12): at most 7.6e-6 (li2024 binary, d/d hook_q with the writes). 5e-5 leaves room
    /// for other CPUs' summation orders in TorchSharp's kernels, while a wrong or missing term (a gradient let through a
    /// written element, a head's slice dropped) is of the order of the gradient itself.
    /// </summary>
    private const double GradientTolerance = 5e-5;

    /// <summary>
    /// Rows whose gradients may be left out for a ReLU input on opposite sides of 0 in the two forward passes (see
    /// <see cref="KinkRows"/>). Measured: at most 1 of 961 (nanda2023 binary, whose pre-activations reach 780 with no final
    /// norm, so its last-bit differences are the largest). A flip needs a pre-activation within about 1e-6 of its hook's
    /// magnitude of 0; more than a handful would mean the passes differ by more than rounding.
    /// </summary>
    private const int MaxKinkRows = 5;

    private const long Seed = 11;

    /// <summary>
    /// Each backend resolves its own writes: means and resamples (the same seeded source rows) from its own clean run,
    /// patched values from its own run on the corrupted pairs.
    /// </summary>
    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.None, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 2)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Binary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 2)]
    public void EachBackendResolvingItsOwnWritesGivesTheSameModel(string preset, WeightQuantization mode, int layers)
    {
        using var m = new ThreeBackendModel(InterventionModels.Load(preset, mode, layers));
        var backends = Enum.GetValues<Backend>();
        var corrupted = backends.ToDictionary(b => b, b => m.Run(b, m.CorruptTokens, [], [HookNames.ResidPre(m.Config.NLayers - 1)]));
        var clean = backends.ToDictionary(b => b, b => m.Run(b, m.Tokens, [], [HookNames.Logits])[HookNames.Logits]);
        var variants = backends.ToDictionary(b => b, b => Variants(m, hook => corrupted[b][hook]));
        var writtenHooks = variants[Backend.Engine].SelectMany(v => v.Interventions).Select(i => i.Hook).Distinct().ToList();
        CollectionAssert.IsSubsetOf(writtenHooks, m.OnnxWritable.ToList(), "ONNX Runtime exposes every hook written here, the pattern included, as writable");
        for (var v = 0; v < variants[Backend.Engine].Count; v++)
        {
            var (name, interventions) = variants[Backend.Engine][v];
            var hooks = Compared(m, interventions);
            var written = backends.ToDictionary(b => b, b => m.Run(b, m.Tokens, m.Resolve(b, variants[b][v].Interventions, Seed), hooks));
            AgreePairwise($"{m.Config.Describe()}, {name}, each backend's own writes", written, hooks);
            foreach (var b in backends) Moves($"{m.Config.Describe()}, {name}, {b}", clean[b], written[b][HookNames.Logits]);
        }
    }

    /// <summary>One set of writes, resolved from the engine's clean and corrupted runs, fed to all three.</summary>
    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.None, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 2)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Binary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 2)]
    public void OneSetOfWritesGivesTheSameModelInEveryBackend(string preset, WeightQuantization mode, int layers)
    {
        using var m = new ThreeBackendModel(InterventionModels.Load(preset, mode, layers));
        var backends = Enum.GetValues<Backend>();
        var corrupted = m.Engine.Run(m.CorruptTokens);
        var clean = backends.ToDictionary(b => b, b => m.Run(b, m.Tokens, [], [HookNames.Logits])[HookNames.Logits]);
        foreach (var (name, interventions) in Variants(m, hook => corrupted[hook].Data))
        {
            var writes = m.Resolve(Backend.Engine, interventions, Seed);
            var hooks = Compared(m, interventions);
            var written = backends.ToDictionary(b => b, b => m.Run(b, m.Tokens, writes, hooks));
            AgreePairwise($"{m.Config.Describe()}, {name}, the engine's writes", written, hooks);
            foreach (var b in backends) Moves($"{m.Config.Describe()}, {name}, {b}", clean[b], written[b][HookNames.Logits]);
        }
    }

    /// <summary>
    /// d metric / d H at every hook, engine against TorchSharp, for mean cross-entropy and the logit difference
    /// logit[target] − logit[target + 1], clean and with writes of every kind in the pass. Both backward passes start
    /// from the same d metric / d logits (the metric's gradient at the engine's logits), so what is compared is the
    /// backward passes themselves, not the metric's sensitivity to the forward passes' last-bit differences.
    /// </summary>
    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.None, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 2)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Binary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 2)]
    public void EngineAndTorchSharpHookGradientsAgree(string preset, WeightQuantization mode, int layers)
    {
        using var m = new ThreeBackendModel(InterventionModels.Load(preset, mode, layers));
        var p = m.Config.DVocabOut;
        var corrupted = m.Engine.Run(m.CorruptTokens);
        var mixed = Variants(m, hook => corrupted[hook].Data).Single(v => v.Name == Together).Interventions;
        LogitMetric[] metrics =
        [
            LogitMetric.CrossEntropy(m.Targets, p),
            LogitMetric.LogitDifference(m.Targets, Array.ConvertAll(m.Targets, t => (t + 1) % p), p),
        ];
        foreach (var writes in new[] { [], m.Resolve(Backend.Engine, mixed, Seed) })
            foreach (var metric in metrics)
            {
                var run = m.Engine.Run(m.Tokens, writes);
                var dLogits = metric.Gradient(run.Logits);
                var engine = m.Engine.Backward(run, dLogits);
                var pass = m.Torch.HookGradients(m.Tokens, writes, dLogits);
                var label = $"{m.Config.Describe()}, {metric.Name}, {writes.Count} writes";
                CollectionAssert.AreEquivalent(m.Hooks.ToList(), engine.InOrder.Select(t => t.Name).ToList(), $"{label}: the engine has a gradient at every hook");
                CollectionAssert.AreEquivalent(m.Hooks.ToList(), pass.Gradients.Keys.ToList(), $"{label}: TorchSharp has a gradient at every hook");
                var kinks = KinkRows(m, run, pass);
                Assert.IsTrue(kinks.Count <= MaxKinkRows, $"{label}: {kinks.Count} rows have a ReLU input on opposite sides of 0 in the two backends' passes, more than rounding puts there");
                foreach (var hook in m.Hooks)
                {
                    var (error, scale) = Difference(engine[hook].Data, pass.Gradients[hook].Data, m.Rows, kinks);
                    Assert.IsTrue(error <= GradientTolerance * scale,
                        $"{label}: d/d {hook} differs by {error:E2}, {(scale == 0 ? "where the engine's is exactly 0" : $"{error / scale:E2} of its largest {scale:E2}")}");
                }
            }
    }

    /// <summary>
    /// Rows where some ReLU input is positive in one backend and not in the other. Two float32 passes within 1e-6 of each
    /// other put a pre-activation that close to 0 on either side of the kink, and the ReLU's derivative (1 or 0) then
    /// differs there, so that row's gradient upstream of it differs by that neuron's whole term: a difference in where
    /// the backends evaluate the derivative, not in how they take it. A row's gradient depends on that row's pass alone,
    /// so such rows are left out of the comparison, and there must be few.
    /// </summary>
    private static HashSet<int> KinkRows(ThreeBackendModel m, HookedRun run, HookedPass pass)
    {
        var rows = new HashSet<int>();
        for (var l = 0; l < m.Config.NLayers; l++)
        {
            var e = run[HookNames.MlpPre(l)].Data;
            var t = pass.Activations[HookNames.MlpPre(l)].Data;
            var rowSize = e.Length / m.Rows;
            for (var i = 0; i < e.Length; i++)
                if (e[i] > 0 != t[i] > 0) rows.Add(i / rowSize);
        }
        return rows;
    }

    /// <summary>max |e − t| and max |e| over the rows not left out.</summary>
    private static (double Error, double Scale) Difference(float[] e, float[] t, int rows, HashSet<int> leftOut)
    {
        var rowSize = e.Length / rows;
        double error = 0, scale = 0;
        for (var i = 0; i < e.Length; i++)
        {
            if (leftOut.Contains(i / rowSize)) continue;
            error = Math.Max(error, Math.Abs((double)e[i] - t[i]));
            scale = Math.Max(scale, Math.Abs(e[i]));
        }
        return (error, scale);
    }

    private const string Together = "every partial write at once";

    /// <summary>
    /// Each intervention alone, then those that write part of a hook all in one pass (a write of a whole hook would hide
    /// the writes before it: zeroing block 0's hook_mlp_out leaves its neurons' writes nothing to reach). The heads and
    /// neurons are ones whose ablation moves the logits (<see cref="BusyComponents"/>), each of the presets' four heads
    /// written by one intervention, so that in the one pass no head's write hides another's (a z write would hide the
    /// pattern's).
    /// Position 0 holds a, the token the corruption changes; destination 2 is '=', whose residual stream the unembed
    /// reads; source 0 is a. With two layers the writes are split between the blocks, so that block 1 reads block 0's.
    /// </summary>
    private static List<(string Name, IReadOnlyList<Intervention> Interventions)> Variants(ThreeBackendModel m, Func<string, float[]> corrupted)
    {
        var c = m.Config;
        var last = c.NLayers - 1;
        var resid = HookNames.ResidPre(last);
        var (zeroed, meaned) = (BusyComponents.Neurons(m, last)[0], BusyComponents.Neurons(m, 0)[1]);
        var patternHead = BusyComponents.PatternHead(m);
        var meanHead = BusyComponents.Heads(m, last, [patternHead])[0];
        var resampleHead = BusyComponents.Heads(m, 0, [patternHead, meanHead])[0];
        var zeroHead = BusyComponents.Heads(m, 0, [patternHead, meanHead, resampleHead])[0];
        Intervention[] each =
        [
            Intervention.Mean(HookNames.Z(last), new HookIndex(Head: meanHead)),
            Intervention.Resample(HookNames.Z(0), new HookIndex(Head: resampleHead)),
            Intervention.Zero(HookNames.Z(0), new HookIndex(Head: zeroHead)),
            Intervention.Zero(HookNames.Pattern(0), new HookIndex(Position: 2, Head: patternHead, Source: 0)),
            Intervention.Zero(HookNames.MlpPost(last), new HookIndex(Neuron: zeroed)),
            Intervention.Mean(HookNames.MlpPost(0), new HookIndex(Neuron: meaned)),
            Intervention.Patch(resid, corrupted(resid), new HookIndex(Position: 0)),
            Intervention.Zero(HookNames.MlpOut(0)),
            Intervention.Mean(HookNames.AttnOut(last)),
        ];
        var variants = each.Select(i => ($"{i.Kind} {i.Component}", (IReadOnlyList<Intervention>)[i])).ToList();
        variants.Add((Together, each.Where(i => i.Index != HookIndex.All).ToList()));
        return variants;
    }

    /// <summary>The logits, the last block's residual output (downstream of every write), and each written hook after its write.</summary>
    private static List<string> Compared(ThreeBackendModel m, IEnumerable<Intervention> interventions) =>
        new[] { HookNames.Logits, HookNames.ResidPost(m.Config.NLayers - 1) }.Concat(interventions.Select(i => i.Hook)).Distinct().ToList();

    private static void AgreePairwise(string label, Dictionary<Backend, IReadOnlyDictionary<string, float[]>> written, IReadOnlyList<string> hooks)
    {
        foreach (var hook in hooks)
        {
            Within(label, hook, "engine vs TorchSharp", written[Backend.Engine][hook], written[Backend.TorchSharp][hook], EngineTorchTolerance);
            Within(label, hook, "engine vs ONNX Runtime", written[Backend.Engine][hook], written[Backend.OnnxRuntime][hook], ExportVerification.DefaultTolerance);
            Within(label, hook, "TorchSharp vs ONNX Runtime", written[Backend.TorchSharp][hook], written[Backend.OnnxRuntime][hook], ExportVerification.DefaultTolerance);
        }
    }

    /// <summary>
    /// The write moved the backend's logits by more than three of the widest bound. A backend that ignored the write
    /// would give its clean logits, within one bound of the others' clean logits and so more than two bounds from their
    /// written ones: the pairwise comparison would fail.
    /// </summary>
    private static void Moves(string label, float[] clean, float[] written)
    {
        var bound = ExportVerification.DefaultTolerance * Math.Max(1, ExportVerification.Magnitude(clean));
        var moved = ExportVerification.MaxAbsDifference(clean, written);
        Assert.IsTrue(moved > 3 * bound, $"{label}: the write moved the logits by only {moved:E2} (bound {bound:E2}), too little to tell it from no write");
    }

    private static void Within(string label, string hook, string pair, float[] expected, float[] actual, double tolerance)
    {
        var d = new OutputDifference(hook, ExportVerification.MaxAbsDifference(expected, actual), ExportVerification.Magnitude(expected), tolerance);
        Assert.IsTrue(d.Passed, $"{label}: {hook}, {pair}: max |Δ| = {d.MaxAbsDifference:E2} above {d.Bound:E2} (magnitude {d.Magnitude:G3})");
    }
}
