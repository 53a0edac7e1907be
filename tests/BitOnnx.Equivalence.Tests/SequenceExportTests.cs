using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Export.Sequence;
using BitOnnx.Onnx.Runtime;
using BitOnnx.TestSupport;
using BitOnnx.Torch;
using BitOnnx.Torch.Model;
using BitOnnx.Torch.Sequence;
using TorchSharp;

namespace BitOnnx.Equivalence.Tests;

/// <summary>
/// A sequence model (Quirke et al.'s arithmetic transformer) exported to ONNX against TorchSharp's SequenceTransformer
/// and a float64 loop: logits at full and partial lengths in every weight mode, every hook, a write into one head's
/// hook_z, and greedy answers. Tiny random models (2-digit addition, n_ctx 10, d_model 8, two layers of two heads), every
/// parameter drawn, biases and LayerNorm weights included.
/// </summary>
[TestClass]
public sealed class SequenceExportTests
{
    /// <summary>
    /// ONNX Runtime and libtorch both compute in float32 but sum in different orders (and ONNX fuses LayerNorm): 1e-4 per
    /// unit of max(1, |value|) is the bound, as ExportVerification's default; the values themselves are of order 1–10.
    /// </summary>
    private const double Tolerance = 1e-4;

    private static readonly ArithmeticTask Add2 = new(2, ArithmeticMix.Addition);

    private static SequenceModelConfig Tiny(WeightQuantization quant) =>
        SequenceModelConfig.ForTask(Add2) with { DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, NLayers = 2, Quantization = quant };

    [ClassInitialize]
    public static void Setup(TestContext _) => TorchRuntime.SetThreads(1);

    [TestMethod]
    [DataRow(WeightQuantization.None)]
    [DataRow(WeightQuantization.Binary)]
    [DataRow(WeightQuantization.Ternary)]
    public void LogitsEqualTorchSharpAtFullAndPartialLengths(WeightQuantization quant)
    {
        var c = Tiny(quant);
        var parameters = SequenceReference.RandomParameters(c, seed: 11);
        using var torchModel = new SequenceTransformer(c);
        torchModel.LoadFrom(parameters);
        var export = SequenceExporter.Export(c, parameters, HookSelection.None, HookSelection.None);
        using var session = SequenceSession.FromModel(export.Model, "tiny", new ModelSessionOptions { Threads = 1 });
        var batch = Add2.Batch(seed: 5, step: 0, batchSize: 6);
        foreach (var length in new[] { c.NCtx, 7, 1 })
        {
            var tokens = Prefixes(batch, length);
            var onnx = session.Logits(tokens, batch.Count, length);
            var torch = torchModel.Logits(tokens, batch.Count, length);
            Assert.AreEqual(batch.Count * length * c.DVocabOut, onnx.Length, $"logits [rows, {length}, d_vocab_out]");
            AssertClose(torch, onnx, $"{quant} logits at length {length}");
        }
        if (quant != WeightQuantization.None)
        {
            // The graph holds the quantized weights, not the latent ones: W_Q takes ±γ (and 0 when ternary) only.
            var values = export.Model.ReadInitializer<float>("blocks.0.attn.W_Q").Select(Math.Abs).Where(v => v != 0).Distinct().ToList();
            Assert.AreEqual(1, values.Count, $"{quant} W_Q holds one magnitude, got {string.Join(", ", values)}");
        }
    }

    [TestMethod]
    public void EveryCapturedHookEqualsTorchSharpsHookRecorder()
    {
        var c = Tiny(WeightQuantization.Ternary);
        var parameters = SequenceReference.RandomParameters(c, seed: 12);
        using var torchModel = new SequenceTransformer(c);
        torchModel.LoadFrom(parameters);
        var export = SequenceExporter.Export(c, parameters, HookSelection.Every, HookSelection.None);
        using var session = SequenceSession.FromModel(export.Model, "tiny", new ModelSessionOptions { Threads = 1 });
        var batch = Add2.Batch(seed: 6, step: 0, batchSize: 4);
        foreach (var length in new[] { c.NCtx, 6 })
        {
            var tokens = Prefixes(batch, length);
            var hooks = SequenceHooks.For(c, length).Select(h => h.Name).Where(n => n != HookNames.Logits).ToList();
            CollectionAssert.AreEquivalent(hooks, session.Probes.ToList(), "every hook is a probe");
            var run = session.Run(tokens, batch.Count, length, [], hooks);
            using var recorder = new HookRecorder();
            using (torch.no_grad())
                torchModel.Forward(torch.tensor(Array.ConvertAll(tokens, t => (long)t), [batch.Count, length]), recorder).Dispose();
            foreach (var hook in hooks)
            {
                var expectedShape = new long[] { batch.Count }.Concat(SequenceHooks.RowShape(c, hook, length).ToLongArray()).ToArray();
                CollectionAssert.AreEqual(expectedShape, recorder.ShapeOf(hook), $"{hook} shape in TorchSharp");
                AssertClose(recorder.Values(hook), run.Hooks[hook], $"{hook} at length {length}");
            }
        }
    }

    [TestMethod]
    public void ZeroingOneHeadsZAtOnePositionEqualsTheFloat64Reference()
    {
        var c = Tiny(WeightQuantization.None);
        var parameters = SequenceReference.RandomParameters(c, seed: 13);
        var export = SequenceExporter.Export(c, parameters, HookSelection.None, HookSelection.Every);
        using var session = SequenceSession.FromModel(export.Model, "tiny", new ModelSessionOptions { Threads = 1 });
        var batch = Add2.Batch(seed: 7, step: 0, batchSize: 3);
        int length = c.NCtx, layer = 0, head = 1, position = 4;
        var tokens = Prefixes(batch, length);
        var row = SequenceHooks.RowShape(c, HookNames.Z(layer), length); // [T, H, E]
        var mask = new float[row.Size];
        for (int a = 0; a < c.DHead; a++) mask[(position * c.NHeads + head) * c.DHead + a] = 1;
        var written = session.Run(tokens, batch.Count, length, [new SequenceHookWrite(HookNames.Z(layer), mask, new float[row.Size])], []).Logits;
        var clean = session.Logits(tokens, batch.Count, length);
        var expected = new List<float>();
        var cleanExpected = new List<float>();
        for (int r = 0; r < batch.Count; r++)
        {
            var sequence = tokens.AsSpan(r * length, length).ToArray();
            expected.AddRange(SequenceReference.Logits(c, parameters, sequence, ZeroHead(layer, head, position)).SelectMany(x => x).Select(x => (float)x));
            cleanExpected.AddRange(SequenceReference.Logits(c, parameters, sequence).SelectMany(x => x).Select(x => (float)x));
        }
        AssertClose(expected.ToArray(), written, "logits with head 1's z zeroed at position 4");
        AssertClose(cleanExpected.ToArray(), clean, "clean logits");
        // Positions before the write are untouched (causal); the write moves the ones from it on.
        int before = position * c.DVocabOut, moved = 0;
        for (int i = 0; i < written.Length; i++)
        {
            if (i % (length * c.DVocabOut) < before) Assert.AreEqual(clean[i], written[i], $"logit {i} comes before the written position");
            else if (Math.Abs(clean[i] - written[i]) > 1e-3) moved++;
        }
        Assert.IsTrue(moved > 0, "the write changes the logits from its position on");
    }

    [TestMethod]
    public void AWriteWithAnEmptyMaskGivesTheCleanLogitsAndAPerRowWriteWritesEachRow()
    {
        var c = Tiny(WeightQuantization.Binary);
        var parameters = SequenceReference.RandomParameters(c, seed: 14);
        var export = SequenceExporter.Export(c, parameters, HookSelection.Of(HookNames.ResidPost(0)), HookSelection.Every);
        using var session = SequenceSession.FromModel(export.Model, "tiny", new ModelSessionOptions { Threads = 1 });
        var batch = Add2.Batch(seed: 8, step: 0, batchSize: 2);
        int length = 5;
        var tokens = Prefixes(batch, length);
        var hook = HookNames.ResidPost(0);
        var size = SequenceHooks.RowShape(c, hook, length).Size;
        var clean = session.Run(tokens, batch.Count, length, [], [hook]);
        var none = session.Run(tokens, batch.Count, length, [new SequenceHookWrite(hook, new float[size], new float[size])], []);
        CollectionAssert.AreEqual(clean.Logits, none.Logits, "a write that selects nothing computes the clean pass, bit for bit");
        // Row r gets r + 1 at position 2, feature 3: what the captured hook must show, and nothing else moves.
        var mask = new float[size];
        mask[2 * c.DModel + 3] = 1;
        var values = new float[batch.Count * size];
        for (int r = 0; r < batch.Count; r++) values[r * size + 2 * c.DModel + 3] = r + 1;
        var run = session.Run(tokens, batch.Count, length, [new SequenceHookWrite(hook, mask, values)], [hook]);
        for (int i = 0; i < run.Hooks[hook].Length; i++)
        {
            int r = i / size, k = i % size;
            Assert.AreEqual(k == 2 * c.DModel + 3 ? r + 1 : clean.Hooks[hook][i], run.Hooks[hook][i], $"row {r} element {k}");
        }
    }

    [TestMethod]
    [DataRow(WeightQuantization.None)]
    [DataRow(WeightQuantization.Ternary)]
    public void GreedyAnswersThroughOnnxRuntimeEqualTorchSharps(WeightQuantization quant)
    {
        var c = Tiny(quant);
        var parameters = SequenceReference.RandomParameters(c, seed: 15);
        using var torchModel = new SequenceTransformer(c);
        torchModel.LoadFrom(parameters);
        using var session = SequenceSession.FromModel(SequenceExporter.Export(c, parameters, HookSelection.None, HookSelection.None).Model, "tiny");
        var questions = new ArithmeticTask(2, ArithmeticMix.Addition, ArithmeticEnrichment.None).Generate(seed: 9, step: 0, batchSize: 300).Questions;
        var onnx = ArithmeticEvaluation.Answers(session.Logits, questions);
        var torchAnswers = ArithmeticEvaluation.Answers(torchModel.Logits, questions);
        CollectionAssert.AreEqual(torchAnswers, onnx);
        Assert.IsTrue(onnx.Distinct().Count() > 1, "a random model's answers vary, so the comparison means something");
    }

    [TestMethod]
    public void ModelSessionRefusesASequenceModelInOneSentenceAndSequenceSessionReadsItsTask()
    {
        var c = Tiny(WeightQuantization.None);
        var sequence = SequenceExporter.Export(c, SequenceReference.RandomParameters(c, seed: 16), HookSelection.None, HookSelection.None).Model;
        var e = Assert.ThrowsExactly<ModelContractException>(() => ModelSession.FromModel(sequence, "add2.onnx"));
        StringAssert.Contains(e.Message, "sequence model of task add2");
        using var session = SequenceSession.FromModel(sequence, "add2.onnx");
        Assert.AreEqual("add2", session.AsArithmeticTask().Name);
        Assert.AreEqual(c, session.Config, "the metadata carries the config");
    }

    /// <summary>The first <paramref name="length"/> tokens of each row of a batch, row-major.</summary>
    private static int[] Prefixes(LabelledBatch batch, int length)
    {
        var tokens = new int[batch.Count * length];
        for (int r = 0; r < batch.Count; r++) batch.Sequence(r)[..length].CopyTo(tokens.AsSpan(r * length));
        return tokens;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: size");
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNegativeInfinity(expected[i]) && float.IsNegativeInfinity(actual[i])) continue;
            Assert.AreEqual(expected[i], actual[i], Tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}: element {i}");
        }
    }

    /// <summary>One head's hook_z zeroed at one position, as the float64 loops compute it.</summary>
    private static SequenceReference.Edit ZeroHead(int layer, int head, int position) => (hook, p, h, values) =>
    {
        if (hook == $"blocks.{layer}.attn.hook_z" && p == position && h == head) Array.Clear(values);
    };
}
