using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Engine.Hooks;
using BitOnnx.Engine.Tests.Model;

namespace BitOnnx.Engine.Tests.Hooks;

/// <summary>
/// The write set's row-parallel select against <see cref="HookWrite.ApplyTo"/> (the reference every backend is held
/// to), its gradient pass against the select's derivative, and the writes a model must refuse.
/// </summary>
[TestClass]
public sealed class HookWriteSetTests
{
    private static readonly TransformerConfig Config = TinyModels.Config(TransformerConfig.Nanda2023Name, WeightQuantization.None, layers: 2);

    private static HookWrite RandomWrite(string hook, int rows, SeededRandom random)
    {
        var layout = HookLayout.Of(Config, hook);
        var mask = Enumerable.Range(0, layout.RowSize).Select(_ => random.NextDouble() < 0.3 ? 1f : 0f).ToArray();
        var values = Enumerable.Range(0, rows * layout.RowSize).Select(_ => (float)random.NextGaussian()).ToArray();
        return new HookWrite(layout, mask, values);
    }

    /// <summary>Two overlapping writes to one hook over 300 rows on two threads: ApplyTo one after the other, to the bit.</summary>
    [TestMethod]
    public void ApplyIsApplyToInListOrder()
    {
        const int rows = 300;
        var random = new SeededRandom(2);
        var hook = HookNames.MlpPost(1);
        var writes = new[] { RandomWrite(hook, rows, random), RandomWrite(hook, rows, random), RandomWrite(HookNames.Z(0), rows, random) };
        var set = new HookWriteSet(Config, rows, writes);
        var activation = Enumerable.Range(0, rows * writes[0].Layout.RowSize).Select(_ => (float)random.NextGaussian()).ToArray();
        var expected = (float[])activation.Clone();
        writes[0].ApplyTo(expected);
        writes[1].ApplyTo(expected);
        set.Apply(hook, activation, threads: 2);
        HookAssert.BitEqual(expected, activation, hook);

        var gradient = Enumerable.Range(0, activation.Length).Select(_ => (float)random.NextGaussian()).ToArray();
        var through = set.PassThrough(hook, gradient, writes[0].Layout.RowSize, threads: 2);
        for (var i = 0; i < gradient.Length; i++)
        {
            var overwritten = writes[0].Mask[i % writes[0].Mask.Length] != 0 || writes[1].Mask[i % writes[1].Mask.Length] != 0;
            Assert.AreEqual(overwritten ? 0f : gradient[i], through[i], $"element {i}");
        }
    }

    [TestMethod]
    public void WritesTheModelCannotTakeAreInterventionErrors()
    {
        const int rows = 25;
        var model = new HookedModel(Config, ParameterInitializer.Initialize(Config, seed: 1));
        var tokens = TinyModels.AllPairs(Config.P).Tokens;
        var random = new SeededRandom(4);
        var resid = HookLayout.Of(Config, HookNames.ResidPre(0));
        var scoresShape = HookNames.For(Config, 1).Single(h => h.Name == HookNames.AttnScores(0)).Shape;
        var scores = new HookLayout(HookNames.AttnScores(0), scoresShape.Dims.Skip(1).ToArray(), [HookAxis.Head, HookAxis.Position, HookAxis.Source]);
        var wider = HookLayout.Of(Config with { DModel = 16 }, HookNames.ResidPre(0));
        var logits = new HookLayout(HookNames.Logits, [Config.DVocabOut], [HookAxis.Feature]);
        var cases = new (HookWrite Write, string Says)[]
        {
            (new HookWrite(scores, new float[scores.RowSize], new float[rows * scores.RowSize]), "write the pattern instead"),
            (new HookWrite(logits, new float[logits.RowSize], new float[rows * logits.RowSize]), "nothing reads the logits"),
            (new HookWrite(resid with { Hook = "blocks.2.hook_resid_pre" }, new float[resid.RowSize], new float[rows * resid.RowSize]), "no hook 'blocks.2.hook_resid_pre'"),
            (new HookWrite(resid, new float[resid.RowSize], new float[(rows - 1) * resid.RowSize]), "for each of the 25 input rows"),
            (new HookWrite(resid, new float[resid.RowSize - 1], new float[rows * resid.RowSize]), "a mask of 23 values"),
            (new HookWrite(wider, new float[wider.RowSize], new float[rows * wider.RowSize]), "this model's rows of that hook are [pos 3, feature 8]"),
        };
        foreach (var (write, says) in cases)
        {
            var error = Assert.ThrowsException<InterventionException>(() => model.Run(tokens, [write]), write.Hook);
            StringAssert.Contains(error.Message, says);
            Assert.IsFalse(error.Message.Contains('\n'), "one line");
        }
        Assert.AreEqual(rows * Config.DVocabOut, model.Run(tokens, [RandomWrite(HookNames.Z(1), rows, random)]).Logits.Length, "a write that fits runs");
    }
}
