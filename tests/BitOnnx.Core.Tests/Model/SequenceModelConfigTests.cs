using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;

namespace BitOnnx.Core.Tests.Model;

[TestClass]
public sealed class SequenceModelConfigTests
{
    [TestMethod]
    public void TheTaskGivesVocabularyAndContext()
    {
        var c = SequenceModelConfig.ForTask(new ArithmeticTask(5, ArithmeticMix.Addition));
        Assert.AreEqual((15, 15, 19, "add5"), (c.DVocab, c.DVocabOut, c.NCtx, c.Task));
        Assert.AreEqual((510, 3, 170, 2040, 2), (c.DModel, c.NHeads, c.DHead, c.DMlp, c.NLayers));
        Assert.AreEqual(0, c.Problems().Count);
        Assert.AreEqual(0, c.ProblemsWith(new ArithmeticTask(5, ArithmeticMix.Addition)).Count);
        Assert.AreEqual(2, c.ProblemsWith(new ArithmeticTask(3, ArithmeticMix.Addition)).Count, "name and n_ctx");
    }

    [TestMethod]
    public void ProblemsListsEveryErrorAtOnce()
    {
        var c = new SequenceModelConfig { DModel = 0, NHeads = 0, DHead = -1, DMlp = 0, NLayers = 0, BinaryScale = BinaryScale.AbsMean };
        var problems = c.Problems();
        Assert.AreEqual(10, problems.Count, string.Join("\n", problems));
        var e = Assert.ThrowsExactly<ConfigException>(() => c.Validated());
        StringAssert.Contains(e.Message, "d_vocab must be positive");
        StringAssert.Contains(e.Message, "n_layers must be at least 1");
    }

    [TestMethod]
    public void ParametersAreTransformerLensNamesInOrder()
    {
        var c = SequenceModelConfig.ForTask(new ArithmeticTask(2, ArithmeticMix.Addition)) with { DModel = 8, NHeads = 2, DHead = 3, DMlp = 5, NLayers = 1 };
        var names = c.Parameters().Select(p => p.Name).ToArray();
        CollectionAssert.AreEqual(new[]
        {
            "embed.W_E", "pos_embed.W_pos", "blocks.0.ln1.w", "blocks.0.ln1.b", "blocks.0.ln2.w", "blocks.0.ln2.b",
            "blocks.0.attn.W_Q", "blocks.0.attn.W_K", "blocks.0.attn.W_V", "blocks.0.attn.W_O",
            "blocks.0.attn.b_Q", "blocks.0.attn.b_K", "blocks.0.attn.b_V", "blocks.0.attn.b_O",
            "blocks.0.mlp.W_in", "blocks.0.mlp.b_in", "blocks.0.mlp.W_out", "blocks.0.mlp.b_out",
            "ln_final.w", "ln_final.b", "unembed.W_U", "unembed.b_U",
        }, names);
        CollectionAssert.AreEqual(new[] { 2, 8, 3 }, c.Parameters().Single(p => p.Name == "blocks.0.attn.W_Q").Shape.ToArray());
        CollectionAssert.AreEqual(new[] { 2, 3, 8 }, c.Parameters().Single(p => p.Name == "blocks.0.attn.W_O").Shape.ToArray());
        CollectionAssert.AreEqual(new[] { "blocks.0.attn.W_Q", "blocks.0.attn.W_K", "blocks.0.attn.W_V", "blocks.0.attn.W_O", "blocks.0.mlp.W_in", "blocks.0.mlp.W_out" },
            c.Parameters().Where(p => p.Quantizable).Select(p => p.Name).ToArray());
    }

    [TestMethod]
    public void JsonRoundTrips()
    {
        var c = SequenceModelConfig.ForTask(new ArithmeticTask(3, ArithmeticMix.Mixed)) with { Quantization = WeightQuantization.Ternary, DModel = 64 };
        Assert.AreEqual(c, SequenceModelConfig.FromJson(c.ToJson()));
        StringAssert.Contains(c.ToJson(), "\"quant\": \"ternary\"");
    }

    /// <summary>TransformerLens' gpt2 init: weights N(0, (0.8/√d_model)²), biases 0, LayerNorm weights 1; seeded.</summary>
    [TestMethod]
    public void InitializerIsTransformerLensGpt2()
    {
        var c = SequenceModelConfig.ForTask(new ArithmeticTask(5, ArithmeticMix.Addition)) with { DModel = 64, DHead = 16, NHeads = 4, DMlp = 256 };
        var tensors = SequenceModelInitializer.Initialize(c, seed: 1);
        CollectionAssert.AreEqual(tensors.Select(t => t.Data).SelectMany(x => x).ToArray(),
            SequenceModelInitializer.Initialize(c, seed: 1).Select(t => t.Data).SelectMany(x => x).ToArray());
        var w = tensors.Single(t => t.Name == "blocks.0.mlp.W_in").Data;
        double sd = Math.Sqrt(w.Average(x => (double)x * x)), expected = 0.8 / 8;
        // 16,384 draws: the sample sd is within 4 standard errors (σ/√(2n) ≈ 0.55%) of σ.
        Assert.AreEqual(expected, sd, 4 * expected / Math.Sqrt(2 * w.Length));
        Assert.IsTrue(tensors.Single(t => t.Name == "blocks.1.attn.b_Q").Data.All(x => x == 0));
        Assert.IsTrue(tensors.Single(t => t.Name == "ln_final.w").Data.All(x => x == 1));
    }
}
