using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Export.Sequence;
using BitOnnx.Onnx.Runtime;
using static BitOnnx.Equivalence.Tests.Sequence.SequenceModels;

namespace BitOnnx.Equivalence.Tests.Sequence;

/// <summary>
/// The engine's sequence model against the same weights exported to ONNX and run by ONNX Runtime: logits and every hook
/// at full and partial lengths in every weight mode, hook writes (one head's hook_z zeroed at one position, a per-row
/// value written into hook_resid_post) and greedy answers. Tiny random models as <see cref="SequenceModels"/> draws them.
/// </summary>
/// <remarks>
/// Tolerance 1e-4 · (1 + the tensor's largest |x|), as <see cref="EngineSequenceForwardTests"/> argues for TorchSharp:
/// both compute in float32 with different summation orders (ONNX Runtime fuses LayerNorm), over sums of at most 12
/// terms; a missing bias, scale, mask or a wrong layout moves entries by 0.1 or more with these weights.
/// </remarks>
[TestClass]
public sealed class EngineOnnxSequenceTests
{
    private const double Tolerance = 1e-4;

    private static SequenceSession Session(SequenceModelConfig c, IReadOnlyList<NamedTensor> parameters) =>
        SequenceSession.FromModel(SequenceExporter.Export(c, parameters, HookSelection.Every, HookSelection.Every).Model, "tiny",
            new ModelSessionOptions { Threads = 1 });

    [TestMethod]
    public void LogitsAndEveryHookEqualOnnxRuntimesInEveryWeightModeAtFullAndPartialLengths()
    {
        foreach (var c in EveryWeightMode())
        {
            var parameters = RandomParameters(c, seed: 31);
            using var session = Session(c, parameters);
            var engine = OnEngine(c, parameters);
            var batch = Add2.Batch(seed: 6, step: 0, batchSize: 5);
            foreach (var length in new[] { c.NCtx, 6, 1 })
            {
                var tokens = Prefixes(batch, length);
                var hooks = SequenceHooks.For(c, length).Select(h => h.Name).Where(n => n != HookNames.Logits).ToList();
                var onnx = session.Run(tokens, batch.Count, length, [], hooks);
                var run = engine.Run(tokens, batch.Count, length, [], hooks);
                var what = $"{c.Quantization} {c.BinaryScale} at length {length}";
                AssertClose(onnx.Logits, run.Logits, Tolerance, $"{what}: logits");
                Assert.AreEqual(hooks.Count, run.Hooks.Count, $"{what}: every hook captured");
                foreach (var hook in hooks) AssertClose(onnx.Hooks[hook], run.Hooks[hook], Tolerance, $"{what}: {hook}");
            }
        }
    }

    [TestMethod]
    [DataRow(WeightQuantization.None)]
    [DataRow(WeightQuantization.Binary)]
    [DataRow(WeightQuantization.Ternary)]
    public void HookWritesEqualOnnxRuntimes(WeightQuantization quant)
    {
        var c = Tiny(quant);
        var parameters = RandomParameters(c, seed: 32);
        using var session = Session(c, parameters);
        var engine = OnEngine(c, parameters);
        var batch = Add2.Batch(seed: 7, step: 0, batchSize: 3);
        int length = c.NCtx, layer = 1, head = 1, position = 4;
        var tokens = Prefixes(batch, length);

        // Head 1 of layer 1 silenced at position 4: a mask over its d_head entries, zero values.
        var z = HookNames.Z(layer);
        var zRow = SequenceHooks.RowShape(c, z, length).Size;
        var zMask = new float[zRow];
        for (int a = 0; a < c.DHead; a++) zMask[(position * c.NHeads + head) * c.DHead + a] = 1;
        SequenceHookWrite[] silence = [new(z, zMask, new float[zRow])];
        var clean = engine.Logits(tokens, batch.Count, length);
        var silenced = engine.Run(tokens, batch.Count, length, silence, []).Logits;
        AssertClose(session.Run(tokens, batch.Count, length, silence, []).Logits, silenced, Tolerance, $"{quant}: logits with z silenced");
        Assert.IsTrue(clean.Zip(silenced).Any(p => Math.Abs(p.First - p.Second) > 1e-3), "the write moves some logit, so the comparison means something");

        // Row r gets r + 1 at position 2, feature 3 of hook_resid_post of layer 0; the captured hook shows it on both.
        var resid = HookNames.ResidPost(0);
        var size = SequenceHooks.RowShape(c, resid, length).Size;
        var mask = new float[size];
        mask[2 * c.DModel + 3] = 1;
        var values = new float[batch.Count * size];
        for (int r = 0; r < batch.Count; r++) values[r * size + 2 * c.DModel + 3] = r + 1;
        SequenceHookWrite[] write = [new(resid, mask, values)];
        var onnx = session.Run(tokens, batch.Count, length, write, [resid]);
        var run = engine.Run(tokens, batch.Count, length, write, [resid]);
        AssertClose(onnx.Logits, run.Logits, Tolerance, $"{quant}: logits with resid_post written");
        for (int r = 0; r < batch.Count; r++) Assert.AreEqual(r + 1f, run.Hooks[resid][r * size + 2 * c.DModel + 3], $"row {r} holds its written value");
        AssertClose(onnx.Hooks[resid], run.Hooks[resid], Tolerance, $"{quant}: {resid} as written");
    }

    [TestMethod]
    [DataRow(WeightQuantization.None)]
    [DataRow(WeightQuantization.Binary)]
    [DataRow(WeightQuantization.Ternary)]
    public void GreedyAnswersOnTheEngineEqualOnnxRuntimes(WeightQuantization quant)
    {
        var c = Tiny(quant);
        var parameters = RandomParameters(c, seed: 33);
        using var session = Session(c, parameters);
        var questions = new ArithmeticTask(2, ArithmeticMix.Addition, ArithmeticEnrichment.None).Generate(seed: 9, step: 0, batchSize: 300).Questions;
        var onnx = ArithmeticEvaluation.Answers(session.Logits, questions);
        CollectionAssert.AreEqual(onnx, ArithmeticEvaluation.Answers(OnEngine(c, parameters).Logits, questions));
        Assert.IsTrue(onnx.Distinct().Count() > 1, "a random model's answers vary, so the comparison means something");
    }

    /// <summary>The first <paramref name="length"/> tokens of each row of a batch, row-major.</summary>
    private static int[] Prefixes(LabelledBatch batch, int length)
    {
        var tokens = new int[batch.Count * length];
        for (int r = 0; r < batch.Count; r++) batch.Sequence(r)[..length].CopyTo(tokens.AsSpan(r * length));
        return tokens;
    }
}
