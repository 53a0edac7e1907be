using BitOnnx.Core;
using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Export.Sequence;
using BitOnnx.Onnx.Runtime;
using BitOnnx.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>
/// A sequence model's graph and session on their own: the graph's shape contract, the writable graph's defaults at a
/// length below n_ctx, and one-sentence refusals (a modular-addition model, a length, a token, a hook the file lacks).
/// Values against TorchSharp and a float64 loop are in BitOnnx.Equivalence.Tests (SequenceExportTests).
/// </summary>
[TestClass]
public sealed class SequenceSessionTests
{
    private static readonly SequenceModelConfig Config =
        SequenceModelConfig.ForTask(new ArithmeticTask(2, ArithmeticMix.Addition)) with { DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, NLayers = 2 };

    private static IReadOnlyList<NamedTensor> Parameters(long seed)
    {
        var random = SeededRandom.ForPurpose(seed, "sequence-session-tests");
        return Config.Parameters().Select(p => new NamedTensor(p.Name, p.Shape,
            Enumerable.Range(0, p.Shape.Size).Select(_ => (float)((p.Kind == SequenceParameterKind.NormGain ? 1 : 0) + 0.5 * random.NextGaussian())).ToArray())).ToList();
    }

    private static readonly int[] Tokens = [1, 2, 10, 3, 4, 12, 0, 3, 6, 5, 1, 1]; // two rows of 6

    [TestMethod]
    public void TheGraphTakesTokensOfAnyLengthAndSaysItIsASequenceModel()
    {
        var model = SequenceExporter.Export(Config, Parameters(1), HookSelection.None, HookSelection.None).Model;
        var tokens = model.Inputs.Single();
        Assert.AreEqual(ModelContract.Tokens, tokens.Name);
        Assert.AreEqual("[batch, seq]", Dim.Format(tokens.Shape));
        var logits = model.Outputs.Single();
        Assert.AreEqual($"[batch, seq, {Config.DVocabOut}]", Dim.Format(logits.Shape));
        Assert.IsTrue(SequenceExportMetadata.IsSequenceModel(model));
        Assert.AreEqual("add2", SequenceExportMetadata.TaskOf(model));
        Assert.AreEqual(21, model.Opsets[""], "LayerNormalization needs opset 17 or later");
        using var session = SequenceSession.FromModel(model, "add2.onnx");
        Assert.AreEqual(2 * 6 * Config.DVocabOut, session.Logits(Tokens, 2, 6).Length);
    }

    [TestMethod]
    public void TheWritableGraphFedOnlyTokensGivesTheCleanLogitsAtAShortLength()
    {
        var parameters = Parameters(2);
        var plain = SequenceExporter.Export(Config, parameters, HookSelection.None, HookSelection.None).Model;
        var writable = SequenceExporter.Export(Config, parameters, HookSelection.None, HookSelection.Every).Model;
        using var session = SequenceSession.FromModel(plain, "plain");
        var expected = session.Logits(Tokens, 2, 6);
        // Every write input left to its initializer ([1, 1, row dims] of false), broadcast by Where at length 6.
        using var ort = new InferenceSession(writable.ToBytes());
        using var input = OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(Tokens, t => (long)t), [2, 6]);
        using var options = new RunOptions();
        using var outputs = ort.Run(options, [ModelContract.Tokens], [input], [ModelContract.Logits]);
        CollectionAssert.AreEqual(expected, outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [TestMethod]
    public void AModularAdditionModelIsRefusedInOneSentence()
    {
        var modular = TransformerExporter.Export(TestCheckpoints.Untrained(SmallConfigs.Interventions("li2024", 7, WeightQuantization.None), 3), new ExportOptions()).Model;
        var e = Assert.ThrowsExactly<ModelContractException>(() => SequenceSession.FromModel(modular, "p7.onnx"));
        StringAssert.Contains(e.Message, "'p7.onnx' is a modular-addition model, not a sequence model");
        Assert.AreEqual(1, e.Message.Split(". ").Length, e.Message);
    }

    [TestMethod]
    public void BadCallsAreOneSentenceErrors()
    {
        var model = SequenceExporter.Export(Config, Parameters(3), HookSelection.Of(HookNames.Z(0)), HookSelection.Of(HookNames.Z(1))).Model;
        using var session = SequenceSession.FromModel(model, "add2.onnx");
        var row = new float[SequenceHooks.RowShape(Config, HookNames.Z(0), 6).Size];
        (Action Call, string Message)[] cases =
        [
            (() => session.Logits(new int[2 * 11], 2, 11), "reads 1 to 10 positions, not 11"),
            (() => session.Logits([1, 2, 15, 3, 4, 12], 1, 6), "token 15 at row 0, position 2 is outside 0..14"),
            (() => session.Logits(Tokens, 3, 6), "12 tokens for 3 rows of 6"),
            (() => session.Run(Tokens, 2, 6, [], [HookNames.Pattern(0)]), "re-export it with --probes blocks.0.attn.hook_pattern"),
            (() => session.Run(Tokens, 2, 6, [new SequenceHookWrite(HookNames.Z(0), row, row)], []), "cannot write 'blocks.0.attn.hook_z'"),
            (() => session.Run(Tokens, 2, 6, [new SequenceHookWrite(HookNames.Z(1), new float[3], row)], []), "a mask of 3 elements"),
        ];
        foreach (var (call, message) in cases)
        {
            var e = Assert.ThrowsExactly<ModelSessionException>(call, message);
            StringAssert.Contains(e.Message, message);
            Assert.IsInstanceOfType<BitOnnxException>(e);
        }
    }
}
