using BitOnnx.Core;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.TestSupport;
using static BitOnnx.Equivalence.Tests.Sequence.SequenceModels;

namespace BitOnnx.Equivalence.Tests.Sequence;

/// <summary>
/// The engine's sequence model against TorchSharp's (logits and every hook) and against a float64 forward in plain
/// loops, in every weight mode; hook writes against planted cases.
/// </summary>
/// <remarks>
/// Tolerance 1e-4 · (1 + the tensor's largest |x|): both backends compute in float32 (unit roundoff 6e-8) with different
/// summation orders and fused multiply-adds, over sums of at most 12 terms and two layers, so entries differ by a few
/// hundred roundoffs of the largest terms at most (~1e-5 of them); a real fault (a missing bias, scale or mask, a wrong layout) moves them by 0.1 or
/// more with these random weights of scale 0.5. The quantized weights are the same bits on both (Core's quantizer in
/// double against TorchSharp's in float64, no latent weight at a rounding tie).
/// </remarks>
[TestClass]
public sealed class EngineSequenceForwardTests
{
    private const double Tolerance = 1e-4;

    [TestMethod]
    public void LogitsAndEveryHookEqualTorchSharpInEveryWeightMode()
    {
        foreach (var c in EveryWeightMode())
        {
            var parameters = RandomParameters(c, seed: 21);
            var batch = Add2.Batch(seed: 3, step: 0, batchSize: 5);
            var expected = TorchHooks(c, parameters, batch);
            var engine = OnEngine(c, parameters);
            var names = SequenceHooks.For(c, c.NCtx).Select(h => h.Name).ToList();
            var run = engine.Run(batch.Tokens, batch.Count, c.NCtx, [], names);
            Assert.AreEqual(names.Count, run.Hooks.Count, "every hook captured");
            foreach (var name in names) AssertClose(expected[name], run.Hooks[name], Tolerance, $"{c.Quantization} {c.BinaryScale} {name}");
            AssertClose(expected[HookNames.Logits], run.Logits, Tolerance, $"{c.Quantization} logits");
            CollectionAssert.AreEqual(run.Logits, engine.Logits(batch.Tokens, batch.Count, c.NCtx), "Logits is the hooked pass without hooks");
        }
    }

    /// <summary>Against double loops the engine's float32 differs by its own rounding alone: 1e-4 as argued above.</summary>
    [TestMethod]
    public void LogitsEqualTheFloat64ReferenceInEveryWeightMode()
    {
        foreach (var c in EveryWeightMode())
        {
            var parameters = RandomParameters(c, seed: 22);
            var batch = Add2.Batch(seed: 4, step: 0, batchSize: 4);
            var logits = OnEngine(c, parameters).Logits(batch.Tokens, batch.Count, c.NCtx);
            for (int row = 0; row < batch.Count; row++)
            {
                var expected = SequenceReference.Logits(c, parameters, batch.Sequence(row).ToArray());
                for (int i = 0; i < c.NCtx; i++)
                    for (int u = 0; u < c.DVocabOut; u++)
                    {
                        double e = expected[i][u];
                        Assert.AreEqual(e, logits[(row * c.NCtx + i) * c.DVocabOut + u], Tolerance * (1 + expected.Max(p => p.Max(Math.Abs))), $"{c.Quantization} row {row} position {i} logit {u}");
                    }
            }
        }
    }

    /// <summary>
    /// One model asked for shapes in turn (as greedy decoding asks, its buffers reused): a short prefix gives the full
    /// run's first logits, and fewer rows, a gradient between and the full shape again give what a fresh model gives.
    /// </summary>
    [TestMethod]
    public void ShapesInTurnGiveWhatFreshModelsGiveAndAnyThreadCountTheSameBits()
    {
        var c = Tiny(WeightQuantization.Ternary);
        var parameters = RandomParameters(c, seed: 23);
        var batch = Add2.Batch(seed: 5, step: 0, batchSize: 96);
        var engine = OnEngine(c, parameters, threads: 1);
        var full = engine.Logits(batch.Tokens, batch.Count, c.NCtx);
        CollectionAssert.AreEqual(full, OnEngine(c, parameters, threads: 2).Logits(batch.Tokens, batch.Count, c.NCtx), "two threads");
        const int length = 6;
        var prefix = new int[batch.Count * length];
        for (int r = 0; r < batch.Count; r++) batch.Sequence(r)[..length].CopyTo(prefix.AsSpan(r * length));
        var shortLogits = engine.Logits(prefix, batch.Count, length);
        int v = c.DVocabOut;
        for (int r = 0; r < batch.Count; r++)
            AssertClose(full.AsSpan(r * c.NCtx * v, length * v).ToArray(), shortLogits.AsSpan(r * length * v, length * v).ToArray(), 1e-6, $"row {r}");
        var few = Add2.Batch(seed: 6, step: 0, batchSize: 7);
        var gradient = engine.Parameters.ZerosLike();
        engine.LossAndGradient(few, Add2, gradient);
        var freshGradient = engine.Parameters.ZerosLike();
        OnEngine(c, parameters).LossAndGradient(few, Add2, freshGradient);
        CollectionAssert.AreEqual(freshGradient.Data, gradient.Data, "a gradient after larger passes");
        CollectionAssert.AreEqual(full, engine.Logits(batch.Tokens, batch.Count, c.NCtx), "the full shape again");
    }

    /// <summary>Question A's resid_post of block 0 written into question B at every position: B's logits become A's.</summary>
    [TestMethod]
    public void AWrittenResidualStreamCarriesAnotherQuestionsLogits()
    {
        var c = Tiny();
        var engine = OnEngine(c, RandomParameters(c, seed: 24));
        var a = Add2.Batch(seed: 6, step: 0, batchSize: 1).Tokens;
        var b = Add2.Batch(seed: 7, step: 0, batchSize: 1).Tokens;
        string hook = HookNames.ResidPost(0);
        var clean = engine.Run(a, 1, c.NCtx, [], [hook]);
        var size = SequenceHooks.RowShape(c, hook, c.NCtx).Size;
        var mask = Enumerable.Repeat(1f, size).ToArray();
        var patched = engine.Run(b, 1, c.NCtx, [new SequenceHookWrite(hook, mask, clean.Hooks[hook])], [hook]);
        CollectionAssert.AreEqual(clean.Logits, patched.Logits);
        CollectionAssert.AreEqual(clean.Hooks[hook], patched.Hooks[hook], "the capture is after the write");
        Assert.IsFalse(engine.Logits(b, 1, c.NCtx).SequenceEqual(clean.Logits), "the questions differ without the write");
    }

    /// <summary>Scores written −∞ except at key 0: each query's pattern is one-hot on key 0 and its z is v at position 0.</summary>
    [TestMethod]
    public void WrittenScoresAreSoftmaxedAndMixed()
    {
        var c = Tiny();
        var engine = OnEngine(c, RandomParameters(c, seed: 25));
        var tokens = Add2.Batch(seed: 8, step: 0, batchSize: 2).Tokens;
        int t = c.NCtx, h = c.NHeads, e = c.DHead;
        var values = new float[h * t * t];
        Array.Fill(values, float.NegativeInfinity);
        for (int i = 0; i < h * t; i++) values[i * t] = 0.5f;
        var write = new SequenceHookWrite(HookNames.AttnScores(1), Enumerable.Repeat(1f, values.Length).ToArray(), values);
        var run = engine.Run(tokens, 2, t, [write], [HookNames.Pattern(1), HookNames.Z(1), HookNames.V(1)]);
        var pattern = run.Hooks[HookNames.Pattern(1)];
        for (int i = 0; i < pattern.Length; i++) Assert.AreEqual(i % t == 0 ? 1f : 0f, pattern[i], $"pattern[{i}]");
        var z = run.Hooks[HookNames.Z(1)];
        var v = run.Hooks[HookNames.V(1)];
        for (int r = 0; r < 2; r++)
            for (int i = 0; i < t; i++)
                for (int k = 0; k < h * e; k++) Assert.AreEqual(v[r * t * h * e + k], z[(r * t + i) * h * e + k], $"row {r} query {i}");
    }

    [TestMethod]
    public void BadWritesAndTokensAreOneSentence()
    {
        var c = Tiny();
        var engine = OnEngine(c, RandomParameters(c, seed: 26));
        var tokens = Add2.Batch(seed: 9, step: 0, batchSize: 1).Tokens;
        var error = Assert.ThrowsExactly<BitOnnxException>(() => engine.Run(tokens, 1, c.NCtx, [new SequenceHookWrite("blocks.0.hook_resid_pre", [1f], [0f])], []));
        StringAssert.Contains(error.Message, "mask of 1 values");
        Assert.ThrowsExactly<BitOnnxException>(() => engine.Run(tokens, 1, c.NCtx, [], ["blocks.7.hook_resid_pre"]));
        var bad = (int[])tokens.Clone();
        bad[3] = 99;
        StringAssert.Contains(Assert.ThrowsExactly<BitOnnxException>(() => engine.Logits(bad, 1, c.NCtx)).Message, "Token 99");
        Assert.ThrowsExactly<BitOnnxException>(() => engine.Logits(tokens, 1, c.NCtx + 1));
    }
}
