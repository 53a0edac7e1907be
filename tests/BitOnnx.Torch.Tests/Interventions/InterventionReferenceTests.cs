using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.TestSupport;
using BitOnnx.Torch.Interventions;

namespace BitOnnx.Torch.Tests.Interventions;

/// <summary>
/// Every intervention kind on every family of hooks, both presets, three modes: TorchSharp's pass with the writes gives
/// every hook (the written one and all after it) of an independent double-precision forward that applies the same writes
/// at its own hook points. Mean and resample values come from the engine's clean cache, so the writes themselves owe
/// nothing to TorchSharp.
/// </summary>
[TestClass]
public sealed class InterventionReferenceTests
{
    private const int P = 11;

    /// <summary>
    /// 1e-5 of each hook's largest magnitude, as ForwardEquivalenceTests: float32 against float64 sums of at most
    /// d_mlp = 24 products per element, two blocks deep (≈ sqrt(24) · 6e-8 ≈ 3e-7 relative per sum, a few of them
    /// chained), with equal codes (the reference takes the quantized weights) and softmaxes over scores below 2 (41 for
    /// Li's unscaled binary, whose rounding the pattern then amplifies). Measured: ≤ 1.2e-6, and 4.2e-6 for the final
    /// norm of the unscaled binary model.
    /// </summary>
    private const double Tolerance = 1e-5;

    [TestMethod]
    public void EveryKindOnEveryFamilyGivesTheDoublePrecisionReference()
    {
        var rows = ModularAdditionData.AllRows(P);
        var tokens = InterventionCases.Tokens(P, rows);
        foreach (var c in InterventionCases.Configs(P))
        {
            var latent = ParameterInitializer.Initialize(c, seed: 21);
            var engine = InterventionCases.EngineClean(c, latent, tokens);
            var reference = new HookedReference(c, InterventionCases.Effective(c, latent));
            var cleanLogits = reference.Run(tokens, [])[HookNames.Logits];
            using var model = InterventionCases.Model(c, latent);
            var seed = 0;
            foreach (var (hook, index) in InterventionCases.Components(c))
                foreach (var kind in Enum.GetValues<InterventionKind>())
                {
                    var intervention = InterventionCases.Of(kind, hook, index, c, rows.Length, ++seed);
                    var writes = HookWrites.Resolve(c, [intervention], rows.Length, name => engine[name].Data, seed);
                    var actual = model.RunWithHooks(tokens, writes);
                    var expected = reference.Run(tokens, writes);
                    var label = $"{InterventionCases.Describe(c)} {kind} {intervention.Component}";
                    foreach (var (name, _) in HookNames.For(c, rows.Length))
                    {
                        var error = InterventionCases.RelativeError(actual.Activations[name].Data, expected[name]);
                        Assert.IsTrue(error <= Tolerance, $"{label}: {name} relative error {error:E2}");
                    }
                    // The comparison is not vacuous: the write moves the logits far beyond the tolerance. Not so for the
                    // mean or a resample of W_pos, the same in every row, nor in one layer, where the components at
                    // positions 0 and 1 after the attention, and at position 2 everything every row shares, never reach
                    // the last position's logits.
                    var noOp = c.NLayers == 1 || (hook == HookNames.PosEmbed && kind is InterventionKind.Mean or InterventionKind.Resample);
                    if (!noOp)
                        Assert.IsTrue(InterventionCases.RelativeError(actual.Logits, cleanLogits) > 1e-3, $"{label}: the write leaves the logits as they were");
                }
        }
    }

    /// <summary>Several interventions in one pass, on hooks of the first and the last block and on one hook twice (the later one wins).</summary>
    [TestMethod]
    public void SeveralWritesInOnePassGiveTheReference()
    {
        var rows = ModularAdditionData.AllRows(P);
        var tokens = InterventionCases.Tokens(P, rows);
        foreach (var c in InterventionCases.Configs(P))
        {
            var latent = ParameterInitializer.Initialize(c, seed: 22);
            var engine = InterventionCases.EngineClean(c, latent, tokens);
            var last = c.NLayers - 1;
            Intervention[] interventions =
            [
                Intervention.Resample(HookNames.Embed, new HookIndex(Position: 1)),
                Intervention.Mean(HookNames.Pattern(0), new HookIndex(Head: 1)),
                Intervention.Zero(HookNames.MlpPre(0), new HookIndex(Neuron: 2)),
                Intervention.Patch(HookNames.MlpPre(0), InterventionCases.Draws(HookLayout.Of(c, HookNames.MlpPre(0)).RowSize, 5), new HookIndex(Position: 2)),
                Intervention.Mean(HookNames.Z(last), new HookIndex(Head: 0, Position: 2)),
                Intervention.Zero(HookNames.ResidMid(last), new HookIndex(Position: 0)),
            ];
            // One write per intervention, so that hook_pre gets two, applied in the order given.
            var writes = interventions.SelectMany(i => HookWrites.Resolve(c, [i], rows.Length, name => engine[name].Data, seed: 3)).ToList();
            using var model = InterventionCases.Model(c, latent);
            var actual = model.RunWithHooks(tokens, writes);
            var expected = new HookedReference(c, InterventionCases.Effective(c, latent)).Run(tokens, writes);
            foreach (var (name, _) in HookNames.For(c, rows.Length))
            {
                var error = InterventionCases.RelativeError(actual.Activations[name].Data, expected[name]);
                Assert.IsTrue(error <= Tolerance, $"{InterventionCases.Describe(c)}: {name} relative error {error:E2}");
            }
        }
    }
}
