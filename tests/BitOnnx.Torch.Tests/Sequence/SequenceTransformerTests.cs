using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.TestSupport;
using BitOnnx.Torch.Model;
using BitOnnx.Torch.Sequence;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Tests.Sequence;

/// <summary>
/// The sequence model against a float64 forward written in plain loops (SequenceReference), its multi-position loss
/// against central finite differences, its causal mask, and its TransformerLens names.
/// </summary>
[TestClass]
public sealed class SequenceTransformerTests
{
    /// <summary>A tiny 2-digit addition model: n_ctx 10, d_vocab 15, two layers of two heads.</summary>
    internal static SequenceModelConfig Tiny(ISequenceTask task, WeightQuantization quant = WeightQuantization.None) =>
        SequenceModelConfig.ForTask(task) with { DModel = 8, NHeads = 2, DHead = 3, DMlp = 12, NLayers = 2, Quantization = quant };

    private static readonly ArithmeticTask Add2 = new(2, ArithmeticMix.Addition);

    [TestMethod]
    public void StateDictKeysAreTransformerLensNamesWithTheirShapes()
    {
        var c = Tiny(Add2);
        using var model = new SequenceTransformer(c);
        var state = model.state_dict();
        var expected = c.Parameters();
        CollectionAssert.AreEquivalent(expected.Select(p => p.Name).ToList(), state.Keys.ToList());
        foreach (var p in expected) CollectionAssert.AreEqual(p.Shape.ToLongArray(), state[p.Name].shape, p.Name);
        CollectionAssert.Contains(state.Keys.ToList(), "blocks.1.ln2.b");
        CollectionAssert.Contains(state.Keys.ToList(), "blocks.0.attn.b_Q");
    }

    [TestMethod]
    public void LogitsAreTheFloat64ReferenceInEveryWeightMode()
    {
        foreach (var mode in Enum.GetValues<WeightQuantization>())
        {
            var c = Tiny(Add2, mode);
            var parameters = SequenceReference.RandomParameters(c, seed: 3);
            using var model = new SequenceTransformer(c, ScalarType.Float64);
            model.LoadFrom(parameters);
            var batch = Add2.Batch(seed: 1, step: 0, batchSize: 4);
            using var logits = model.Forward(SlotLoss.Tokens(batch));
            CollectionAssert.AreEqual(new long[] { 4, c.NCtx, c.DVocabOut }, logits.shape);
            var values = logits.data<double>().ToArray();
            for (int row = 0; row < batch.Count; row++)
            {
                var expected = SequenceReference.Logits(c, parameters, batch.Sequence(row).ToArray());
                for (int i = 0; i < c.NCtx; i++)
                    for (int u = 0; u < c.DVocabOut; u++)
                        Assert.AreEqual(expected[i][u], values[(row * c.NCtx + i) * c.DVocabOut + u], 1e-9, $"{mode} row {row} position {i} logit {u}");
            }
        }
    }

    [TestMethod]
    public void HooksHaveTransformerLensNamesAndShapes()
    {
        var c = Tiny(Add2);
        using var model = new SequenceTransformer(c);
        model.LoadFrom(SequenceReference.RandomParameters(c, seed: 4));
        using var hooks = new HookRecorder();
        using var tokens = SlotLoss.Tokens(Add2.Batch(0, 0, 3));
        using var logits = model.Forward(tokens, hooks);
        long b = 3, t = c.NCtx, d = c.DModel, h = c.NHeads, e = c.DHead;
        var expected = new Dictionary<string, long[]>
        {
            [HookNames.Embed] = [b, t, d],
            [HookNames.PosEmbed] = [b, t, d],
            [HookNames.FinalNormalized] = [b, t, d],
            [HookNames.Logits] = [b, t, c.DVocabOut],
        };
        for (int l = 0; l < c.NLayers; l++)
        {
            expected[HookNames.ResidPre(l)] = [b, t, d];
            expected[HookNames.ResidMid(l)] = [b, t, d];
            expected[HookNames.ResidPost(l)] = [b, t, d];
            expected[HookNames.Q(l)] = [b, t, h, e];
            expected[HookNames.Z(l)] = [b, t, h, e];
            expected[HookNames.AttnScores(l)] = [b, h, t, t];
            expected[HookNames.Pattern(l)] = [b, h, t, t];
            expected[HookNames.MlpPre(l)] = [b, t, c.DMlp];
            expected[HookNames.MlpPost(l)] = [b, t, c.DMlp];
        }
        foreach (var (name, shape) in expected) CollectionAssert.AreEqual(shape, hooks.ShapeOf(name), name);
        CollectionAssert.AreEqual(logits.data<float>().ToArray(), hooks.Values(HookNames.Logits));
        // resid_post of the last block is what ln_final reads: the stream really passes through the hook points.
        var pattern = hooks.Values(HookNames.Pattern(0));
        for (int i = 0; i < t; i++)
            for (int j = i + 1; j < t; j++) Assert.AreEqual(0f, pattern[(int)(i * t + j)], $"query {i} reads later key {j}");
    }

    [TestMethod]
    public void ChangingALaterTokenLeavesEarlierLogitsUnchanged()
    {
        var c = Tiny(Add2);
        using var model = new SequenceTransformer(c, ScalarType.Float64);
        model.LoadFrom(SequenceReference.RandomParameters(c, seed: 5));
        var tokens = Add2.Batch(2, 0, 1).Tokens;
        using var before = model.Forward(torch.tensor(Array.ConvertAll(tokens, x => (long)x), [1, c.NCtx]));
        var original = before.data<double>().ToArray();
        for (int j = 1; j < c.NCtx; j++)
        {
            var changed = (int[])tokens.Clone();
            changed[j] = (changed[j] + 7) % c.DVocab;
            using var after = model.Forward(torch.tensor(Array.ConvertAll(changed, x => (long)x), [1, c.NCtx]));
            var values = after.data<double>().ToArray();
            for (int k = 0; k < j * c.DVocabOut; k++) Assert.AreEqual(original[k], values[k], 1e-13, $"token {j} changed logit {k}");
            Assert.IsTrue(Enumerable.Range(j * c.DVocabOut, c.DVocabOut).Any(k => Math.Abs(original[k] - values[k]) > 1e-9), $"token {j} changed nothing at its own position");
        }
    }

    /// <summary>
    /// ∂loss/∂θ of the loss over every answer slot against (L(θ + h) − L(θ − h)) / 2h in float64, for entries of every
    /// parameter tensor. With h = 1e-5 the truncation error is O(h²) ≈ 1e-10 and rounding ≈ 1e-16 / h ≈ 1e-11.
    /// </summary>
    [TestMethod]
    public void SlotLossGradientIsCentralFiniteDifferences()
    {
        var c = Tiny(Add2);
        var parameters = SequenceReference.RandomParameters(c, seed: 6);
        using var model = new SequenceTransformer(c, ScalarType.Float64);
        model.LoadFrom(parameters);
        using var loss = new SlotLoss(Add2);
        var batch = Add2.Batch(seed: 7, step: 0, batchSize: 5);
        using var tokens = SlotLoss.Tokens(batch);
        using var targets = SlotLoss.Targets(batch);
        double Loss()
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            return loss.Loss(model.Forward(tokens), targets).item<double>();
        }
        using (var scope = torch.NewDisposeScope()) loss.Loss(model.Forward(tokens), targets).backward();
        const double h = 1e-5;
        var random = new Core.Randomness.SeededRandom(11);
        foreach (var (name, parameter) in model.Parameters())
        {
            var gradient = parameter.grad!.data<double>().ToArray();
            var flat = parameter.detach().view(-1);
            for (int probe = 0; probe < 3; probe++)
            {
                int at = random.NextInt((int)flat.shape[0]);
                double original = flat[at].item<double>();
                double Shifted(double value)
                {
                    using (torch.no_grad()) flat[at] = value;
                    return Loss();
                }
                double numeric = (Shifted(original + h) - Shifted(original - h)) / (2 * h);
                Shifted(original);
                Assert.AreEqual(numeric, gradient[at], 1e-7 + 1e-5 * Math.Abs(numeric), $"{name}[{at}]");
            }
        }
    }

    [TestMethod]
    public void SlotLossIsTaskMetricsLoss()
    {
        var c = Tiny(Add2);
        using var model = new SequenceTransformer(c);
        model.LoadFrom(SequenceReference.RandomParameters(c, seed: 8));
        using var loss = new SlotLoss(Add2);
        var batch = Add2.Batch(seed: 9, step: 0, batchSize: 6);
        using var logits = model.Forward(SlotLoss.Tokens(batch));
        using var targets = SlotLoss.Targets(batch);
        using var value = loss.Loss(logits, targets);
        var score = TaskMetrics.Score(TaskMetrics.GatherSlots(logits.data<float>().ToArray(), Add2, batch.Count), batch, Add2.OutputVocabularySize);
        Assert.AreEqual(score.Loss, value.item<double>(), 1e-6 * score.Loss);
    }
}
