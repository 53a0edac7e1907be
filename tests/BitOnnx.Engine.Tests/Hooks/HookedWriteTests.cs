using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Engine.Tests.Reference;

namespace BitOnnx.Engine.Tests.Hooks;

/// <summary>
/// Resample, mean, zero and given values at every kind of hook, held to the double reference with the same writes made
/// by hand: the reference's own clean values for means and resamples (from the rows <see cref="HookWrites.OtherRows"/>
/// names), the given floats for values. Every hook of the written run is compared (tolerance
/// <see cref="HookedCleanRunTests.ReferenceTolerance"/>), so a write applied late, early, or not read by what follows fails.
/// </summary>
[TestClass]
public sealed class HookedWriteTests
{
    private const long Seed = 21;

    /// <summary>Groups of interventions, each group one run: heads, pattern entries, neurons, the residual stream.</summary>
    public static IEnumerable<(string Name, List<Intervention> Interventions)> Scenarios(TransformerConfig c, int rows)
    {
        var random = new SeededRandom(8);
        float[] Values(string hook, bool perRow)
        {
            var values = new float[(perRow ? rows : 1) * HookLayout.Of(c, hook).RowSize];
            for (var i = 0; i < values.Length; i++) values[i] = (float)random.NextGaussian();
            return values;
        }
        var last = c.NLayers - 1;
        yield return ("heads", [
            Intervention.Resample(HookNames.Q(0), new HookIndex(Head: 0)),
            Intervention.Resample(HookNames.K(last), new HookIndex(Head: 1)),
            Intervention.Patch(HookNames.V(0), Values(HookNames.V(0), perRow: false), new HookIndex(Head: 1)),
            Intervention.Resample(HookNames.Z(last), new HookIndex(Head: 0, Position: 2)),
        ]);
        // In nanda2023 the last entry weighs a key the causal mask hides: written, it counts in z.
        yield return ("pattern", [
            Intervention.Patch(HookNames.Pattern(0), Values(HookNames.Pattern(0), perRow: true), new HookIndex(Position: 2, Head: 1, Source: 0)),
            Intervention.Resample(HookNames.Pattern(last), new HookIndex(Position: 1, Head: 0)),
            Intervention.Patch(HookNames.Pattern(last), Values(HookNames.Pattern(last), perRow: false), new HookIndex(Position: 0, Head: 1, Source: 2)),
        ]);
        // A written hook_pre is what the ReLU reads: hook_post follows it.
        yield return ("neurons", [
            Intervention.Patch(HookNames.MlpPost(0), Values(HookNames.MlpPost(0), perRow: true), new HookIndex(Neuron: 3)),
            Intervention.Resample(HookNames.MlpPost(last), new HookIndex(Neuron: 5)),
            Intervention.Patch(HookNames.MlpPre(0), Values(HookNames.MlpPre(0), perRow: true), new HookIndex(Neuron: 7)),
            Intervention.Mean(HookNames.MlpPre(last), new HookIndex(Neuron: 1, Position: 2)),
        ]);
        // Block 0 reads hook_embed (+ hook_pos_embed); resid_pre(l + 1) is written after resid_post(l), so it wins.
        var stream = new List<Intervention>
        {
            Intervention.Patch(HookNames.Embed, Values(HookNames.Embed, perRow: true), new HookIndex(Position: 1)),
            Intervention.Mean(HookNames.AttnOut(0), new HookIndex(Position: 0)),
            Intervention.Patch(HookNames.ResidPost(0), Values(HookNames.ResidPost(0), perRow: false), new HookIndex(Position: 2)),
            Intervention.Zero(HookNames.ResidMid(last), new HookIndex(Position: 0)),
        };
        if (c.PositionalEmbedding) stream.Add(Intervention.Zero(HookNames.PosEmbed, new HookIndex(Position: 2)));
        if (c.NLayers > 1) stream.Add(Intervention.Resample(HookNames.ResidPre(1), new HookIndex(Position: 2)));
        if (c.FinalNorm) stream.Add(Intervention.Resample(HookNames.FinalNormalized, new HookIndex(Position: 2)));
        yield return ("stream", stream);
    }

    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void WritesMatchTheReferenceWithTheSameWrites(string preset, WeightQuantization mode, int layers)
    {
        var k = new HookCase(preset, mode, layers);
        var clean = k.Model.Run(k.Tokens);
        var cleanReference = k.Reference();
        foreach (var (name, interventions) in Scenarios(k.Config, k.Rows))
        {
            var written = k.Model.Run(k.Tokens, k.Model.Resolve(interventions, clean, Seed));
            var reference = k.Reference(ReferenceWrites(k, interventions, cleanReference));
            foreach (var tensor in written.Activations.InOrder)
                HookAssert.Close(reference[tensor.Name], tensor.Data, HookedCleanRunTests.ReferenceTolerance, $"{k}, {name}: {tensor.Name}");
            Assert.IsTrue(HookAssert.RelativeError(cleanReference[HookNames.Logits], written.Logits) > 100 * HookedCleanRunTests.ReferenceTolerance,
                $"{k}, {name}: the writes change nothing, so the check is empty");
        }
    }

    /// <summary>
    /// The reference's own reading of each kind: 0; the mean over rows of the reference's clean value; the clean value
    /// of row OtherRows[n]; the given value (one row for all, or one per row). Later interventions on a hook win.
    /// </summary>
    private static Dictionary<string, ReferenceEdit> ReferenceWrites(HookCase k, IEnumerable<Intervention> interventions,
        Dictionary<string, double[]> clean)
    {
        var edits = new Dictionary<string, ReferenceEdit>();
        var sources = HookWrites.OtherRows(k.Rows, Seed);
        foreach (var intervention in interventions)
        {
            var layout = HookLayout.Of(k.Config, intervention.Hook);
            var rowSize = layout.RowSize;
            var selected = layout.Mask(intervention.Index);
            if (!edits.TryGetValue(intervention.Hook, out var edit))
                edits[intervention.Hook] = edit = new ReferenceEdit(new bool[rowSize], new double[k.Rows * rowSize]);
            var cleanValues = clean[intervention.Hook];
            for (var i = 0; i < rowSize; i++)
            {
                if (selected[i] == 0) continue;
                edit.Mask![i] = true;
                for (var n = 0; n < k.Rows; n++)
                    edit.Values![n * rowSize + i] = intervention.Kind switch
                    {
                        InterventionKind.Zero => 0,
                        InterventionKind.Mean => Enumerable.Range(0, k.Rows).Average(r => cleanValues[r * rowSize + i]),
                        InterventionKind.Resample => cleanValues[sources[n] * rowSize + i],
                        _ => intervention.Values!.Length == rowSize ? intervention.Values[i] : intervention.Values[n * rowSize + i],
                    };
            }
        }
        return edits;
    }
}
