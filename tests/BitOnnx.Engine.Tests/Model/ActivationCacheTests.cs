using BitOnnx.Core.Model;
using BitOnnx.Engine.Model;
using BitOnnx.Engine.Tests.Reference;

namespace BitOnnx.Engine.Tests.Model;

[TestClass]
public sealed class ActivationCacheTests
{
    [TestMethod]
    public void HookOrderIsPinned()
    {
        var names = HookNames.For(TransformerConfig.Nanda2023, batch: 7).Select(h => h.Name).ToArray();
        CollectionAssert.AreEqual(new[]
        {
            "hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre", "blocks.0.attn.hook_q", "blocks.0.attn.hook_k",
            "blocks.0.attn.hook_v", "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z",
            "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid", "blocks.0.mlp.hook_pre", "blocks.0.mlp.hook_post",
            "blocks.0.hook_mlp_out", "blocks.0.hook_resid_post", "logits",
        }, names);
        var li = HookNames.For(TransformerConfig.Li2024, batch: 7).ToDictionary(h => h.Name, h => h.Shape);
        Assert.IsFalse(li.ContainsKey("hook_pos_embed"));
        Assert.AreEqual(new Shape(7, 3, 128), li["ln_final.hook_normalized"]);
        Assert.AreEqual(new Shape(7, 4, 3, 3), li["blocks.0.attn.hook_pattern"]);
        Assert.AreEqual(new Shape(7, 3, 4, 32), li["blocks.0.attn.hook_z"]);
        Assert.AreEqual(new Shape(7, 113), li["logits"]);
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, 2)]
    public void CacheLogitsMatchTheReferenceAndPatternsAreDistributions(string preset, int layers)
    {
        var c = TinyModels.Config(preset, WeightQuantization.Ternary, layers);
        var latent = ParameterInitializer.Initialize(c, seed: 11);
        var (tokens, _) = TinyModels.AllPairs(c.P);
        var cache = ActivationCache.Run(c, latent, tokens);
        var effective = TinyModels.Quantized(c, latent);
        var reference = ReferenceTransformer.Logits(c, effective, ReferenceTransformer.ToDouble(effective), tokens);
        var logits = cache[HookNames.Logits].Data;
        for (var n = 0; n < reference.Length; n++)
            for (var o = 0; o < c.DVocabOut; o++)
                Assert.AreEqual(reference[n][o], logits[n * c.DVocabOut + o], 1e-4);

        var pattern = cache[HookNames.Pattern(0)].Data;
        for (var row = 0; row < pattern.Length / c.NCtx; row++)
        {
            var q = row % c.NCtx;
            var sum = 0.0;
            for (var k = 0; k < c.NCtx; k++)
            {
                if (c.CausalMask && k > q) Assert.AreEqual(0f, pattern[row * c.NCtx + k], "masked key");
                sum += pattern[row * c.NCtx + k];
            }
            Assert.AreEqual(1.0, sum, 1e-5);
        }
        foreach (var (name, shape) in HookNames.For(c, tokens.Length / c.NCtx))
            Assert.AreEqual(shape.Size, cache[name].Data.Length, name);
    }
}
