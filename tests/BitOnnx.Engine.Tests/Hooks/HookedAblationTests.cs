using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;
using BitOnnx.Engine.Tests.Model;
using BitOnnx.Engine.Tests.Reference;

namespace BitOnnx.Engine.Tests.Hooks;

/// <summary>
/// Ablation and activation patching, each against what it must mean: a model without the ablated part, the double
/// reference with the ablated value put in by hand, the corrupted input's own run. Tolerance against the reference:
/// <see cref="HookedCleanRunTests.ReferenceTolerance"/>.
/// </summary>
[TestClass]
public sealed class HookedAblationTests
{
    /// <summary>
    /// Zeroing hook_mlp_out of a block is that block without its MLP: the engine's own model with that block's W_out
    /// zeroed gives the same logits exactly (resid_post = resid_mid + 0 either way, and everything after is the same
    /// computation), and the plain double reference of that model (no intervention there) agrees within rounding.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void ZeroAblatingMlpOutIsAModelWithoutTheMlp(string preset, WeightQuantization mode, int layers)
    {
        var k = new HookCase(preset, mode, layers);
        var clean = k.Model.Run(k.Tokens);
        for (var l = 0; l < layers; l++)
        {
            var ablated = k.Model.Run(k.Tokens, k.Model.Resolve([Intervention.Zero(HookNames.MlpOut(l))], clean)).Logits;
            var withoutMlp = k.Effective.Clone();
            withoutMlp[ParameterNames.MlpOut(l)].Clear();
            var engine = new HookedModel(TinyModels.FullPrecision(k.Config), withoutMlp).Run(k.Tokens).Logits;
            for (var i = 0; i < engine.Length; i++)
                Assert.AreEqual(engine[i], ablated[i], 0f, $"{k}, block {l}: logit {i}");

            var reference = ReferenceTransformer.Logits(k.Config, withoutMlp, ReferenceTransformer.ToDouble(withoutMlp), k.Tokens)
                .SelectMany(row => row).ToArray();
            HookAssert.Close(reference, ablated, HookedCleanRunTests.ReferenceTolerance, $"{k}, block {l}: logits");
            Assert.IsTrue(HookAssert.RelativeError(reference, clean.Logits) > 100 * HookedCleanRunTests.ReferenceTolerance,
                $"{k}, block {l}: the MLP changes nothing, so the check is empty");
        }
    }

    /// <summary>
    /// Mean-ablating one head's z at every position is the double forward that replaces that head's z by its mean over
    /// the batch at each position (computed here from the reference's own clean run); every hook after it agrees.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void MeanAblatingAHeadReplacesItsZByItsPerPositionMean(string preset, WeightQuantization mode, int layers)
    {
        var k = new HookCase(preset, mode, layers);
        var clean = k.Model.Run(k.Tokens);
        var cleanReference = k.Reference();
        int t = k.Config.NCtx, h = k.Config.NHeads, e = k.Config.DHead, rowSize = t * h * e;
        const int head = 1;
        for (var l = 0; l < layers; l++)
        {
            var z = cleanReference[HookNames.Z(l)];
            var mask = new bool[rowSize];
            var values = new double[k.Rows * rowSize];
            for (var p = 0; p < t; p++)
                for (var j = 0; j < e; j++)
                {
                    var at = (p * h + head) * e + j;
                    mask[at] = true;
                    var mean = Enumerable.Range(0, k.Rows).Average(n => z[n * rowSize + at]);
                    for (var n = 0; n < k.Rows; n++) values[n * rowSize + at] = mean;
                }
            var reference = k.Reference(new Dictionary<string, ReferenceEdit> { [HookNames.Z(l)] = new(mask, values) });
            var ablated = k.Model.Run(k.Tokens, k.Model.Resolve([Intervention.Mean(HookNames.Z(l), new HookIndex(Head: head))], clean));
            foreach (var tensor in ablated.Activations.InOrder)
                HookAssert.Close(reference[tensor.Name], tensor.Data, HookedCleanRunTests.ReferenceTolerance, $"{k}, head {l}.{head}: {tensor.Name}");
            Assert.IsTrue(HookAssert.RelativeError(reference[HookNames.Logits], clean.Logits) > 100 * HookedCleanRunTests.ReferenceTolerance,
                $"{k}, head {l}.{head}: the ablation changes nothing, so the check is empty");
        }
    }

    /// <summary>
    /// Patching hook_resid_pre of a block at every position with the corrupted input's values makes that block and
    /// everything after it the corrupted run, to the bit: the same values through the same kernels. Hooks before it
    /// stay the clean run's, to the bit.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(HookCase.Every), typeof(HookCase), DynamicDataSourceType.Method)]
    public void PatchingResidPreFromTheCorruptedRunGivesTheCorruptedRun(string preset, WeightQuantization mode, int layers)
    {
        var k = new HookCase(preset, mode, layers);
        var clean = k.Model.Run(k.Tokens);
        var corrupt = k.Model.Run(k.CorruptTokens);
        Assert.IsTrue(clean.Logits.Zip(corrupt.Logits).Any(x => x.First != x.Second), "the corruption changes nothing");
        for (var l = 0; l < layers; l++)
        {
            var hook = HookNames.ResidPre(l);
            var patched = k.Model.Run(k.Tokens, k.Model.Resolve([Intervention.Patch(hook, corrupt[hook].Data)], clean));
            var reached = false;
            foreach (var tensor in patched.Activations.InOrder)
            {
                reached |= tensor.Name == hook;
                HookAssert.BitEqual((reached ? corrupt : clean)[tensor.Name].Data, tensor.Data, $"{k}, {hook} patched: {tensor.Name}");
            }
        }
    }
}
