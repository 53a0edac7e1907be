using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Torch.Interventions;

namespace BitOnnx.Torch.Tests.Interventions;

/// <summary>
/// What the model cannot take is one InterventionException, one sentence that names the fault and what the model has,
/// before any tensor is computed: hooks that do not exist or cannot be written, writes shaped for another model or
/// another batch, a metric gradient of the wrong size, tokens that are not whole sequences of the vocabulary.
/// </summary>
[TestClass]
public sealed class InterventionErrorTests
{
    private const int P = 5;
    private static readonly TransformerConfig Config = TransformerConfig.Li2024 with { P = P, DModel = 8, NHeads = 2, DHead = 4, DMlp = 12 };
    private static readonly int[] Tokens = ModularAdditionData.Tokens(P, [0, 6, 12]);

    [TestMethod]
    public void HooksThatCannotBeWrittenAreRefused()
    {
        using var model = InterventionCases.Model(Config, ParameterInitializer.Initialize(Config, seed: 1));
        var resid = HookLayout.Of(Config, HookNames.ResidPost(0));
        HookWrite Into(string hook, int rowSize) => new(resid with { Hook = hook }, Ones(rowSize), new float[3 * rowSize]);

        Refused(() => model.RunWithHooks(Tokens, [Into(HookNames.Logits, P)]), "logits");
        Refused(() => model.RunWithHooks(Tokens, [Into(HookNames.AttnScores(0), 18)]), "hook_attn_scores", "pattern");
        Refused(() => model.RunWithHooks(Tokens, [Into("blocks.3.hook_resid_post", 24)]), "blocks.3.hook_resid_post", "blocks.0.hook_resid_post");
        Refused(() => model.RunWithHooks(Tokens, [Into(HookNames.PosEmbed, 24)]), "hook_pos_embed");
    }

    [TestMethod]
    public void WritesShapedForAnotherModelOrBatchAreRefused()
    {
        using var model = InterventionCases.Model(Config, ParameterInitializer.Initialize(Config, seed: 1));
        var wider = HookLayout.Of(Config with { DModel = 16 }, HookNames.ResidPost(0));
        var layout = HookLayout.Of(Config, HookNames.ResidPost(0));
        Refused(() => model.RunWithHooks(Tokens, [new HookWrite(wider, Ones(wider.RowSize), new float[3 * wider.RowSize])]), "blocks.0.hook_resid_post", "feature 8");
        Refused(() => model.RunWithHooks(Tokens, [new HookWrite(layout, Ones(5), new float[3 * layout.RowSize])]), "mask of 5 values", "24");
        Refused(() => model.HookGradients(Tokens, [new HookWrite(layout, Ones(24), new float[2 * 24])], new float[3 * P]), "48 values", "3 rows");
    }

    [TestMethod]
    public void AMetricGradientOrTokensOfTheWrongShapeAreRefused()
    {
        using var model = InterventionCases.Model(Config, ParameterInitializer.Initialize(Config, seed: 1));
        Refused(() => model.HookGradients(Tokens, [], new float[2 * P]), "10 values", "3 rows of logits");
        Refused(() => model.RunWithHooks([1, 2, 5, 3]), "4 tokens", "n_ctx = 3");
        Refused(() => model.RunWithHooks([1, 2, 6]), "Token 6", "0..5");
        Refused(() => model.HookGradients([1, -1, 5], [], new float[P]), "Token -1");
    }

    private static float[] Ones(int count) => Enumerable.Repeat(1f, count).ToArray();

    private static void Refused(Action run, params string[] named)
    {
        var e = Assert.ThrowsExactly<InterventionException>(run);
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
        Assert.IsTrue(e.Message.EndsWith('.'), e.Message);
        foreach (var part in named) StringAssert.Contains(e.Message, part);
    }
}
