using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>ModelSession on a model whose answers are known in closed form: logits = one_hot((a + b) mod P).</summary>
[TestClass]
public class ModelSessionTests
{
    private const int P = 11;

    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL, 2048)]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL, 7)]
    public void RunGridAnswersEveryPairInRowOrderAPlusB(GraphOptimizationLevel level, int batchSize)
    {
        using var session = ModelSession.FromModel(TestModels.ExactModularAddition(P), "exact", new ModelSessionOptions { OptimizationLevel = level, BatchSize = batchSize });
        var fractions = new List<double>();

        var logits = session.RunGrid(progress: new SyncProgress(fractions))["logits"];

        CollectionAssert.AreEqual(new[] { P * P, P }, logits.Shape);
        for (int a = 0; a < P; a++)
            for (int b = 0; b < P; b++)
                for (int c = 0; c < P; c++)
                    Assert.AreEqual(c == (a + b) % P ? 1f : 0f, logits.Row(a * P + b)[c], $"({a} + {b}), class {c}");
        Assert.AreEqual(1.0, fractions[^1]);
        Assert.AreEqual((int)Math.Ceiling(P * P / (double)batchSize) + 1, fractions.Count, "0, then one report per batch");
    }

    [TestMethod]
    public void MetadataGivesPFromTheModelAndTheLogitsWidthWhenMetadataIsMissing()
    {
        using var session = ModelSession.FromModel(TestModels.ExactModularAddition(P, new ExportMetadata(P, Weights: "int2", Probes: ["hook_embed", "blocks.0.hook_resid_post"])), "m");
        Assert.AreEqual(P, session.P);
        Assert.AreEqual(3, session.NCtx);
        Assert.AreEqual("int2", session.Metadata.Weights);
        CollectionAssert.AreEqual(new[] { "hook_embed", "blocks.0.hook_resid_post" }, session.Metadata.ProbeNames.ToArray());
        Assert.IsNull(session.Metadata.Config, "no bitonnx.config: not a bitonnx export");

        var bare = TestModels.ExactModularAddition(P);
        bare.Proto.MetadataProps.Clear();
        Assert.AreEqual(P, ExportMetadata.Read(bare, "bare").P);

        var wrong = TestModels.ExactModularAddition(P, new ExportMetadata(13));
        StringAssert.Contains(Assert.ThrowsException<OnnxFormatException>(() => ModelSession.FromModel(wrong, "wrong")).Message, "P = 13 but its logits have 11 columns");
    }

    [TestMethod]
    public void TokensOutsideTheVocabularyOrPartialRowsAreRefusedBeforeOnnxRuntimeSeesThem()
    {
        using var session = ModelSession.FromModel(TestModels.ExactModularAddition(P), "exact");

        var e = Assert.ThrowsException<ModelSessionException>(() => session.Run([1, 2, P, 3, P + 1, P]));
        StringAssert.Contains(e.Message, $"token {P + 1} at row 1, position 1 is outside 0..{P}");
        StringAssert.Contains(Assert.ThrowsException<ModelSessionException>(() => session.Run([1, -1, P])).Message, "token -1 at row 0");
        StringAssert.Contains(Assert.ThrowsException<ModelSessionException>(() => session.Run([1, 2, P, 4])).Message, "4 tokens are not a whole number of rows");
        StringAssert.Contains(Assert.ThrowsException<ModelSessionException>(() => session.Run([1, 2, P], ["hook_embed"])).Message, "no output 'hook_embed'");
    }

    [TestMethod]
    public void PinnedBatchRunsRepeatedlyIntoTheSameBuffers()
    {
        using var session = ModelSession.FromModel(TestModels.ExactModularAddition(P), "exact");
        using var batch = session.CreateBatch(2);
        foreach (var (a, b) in new[] { (5, 7), (10, 10), (0, 0) })
        {
            long[] tokens = [a, b, P, b, a, P];
            tokens.CopyTo(batch.Tokens);
            batch.Run();
            var logits = batch.Output("logits");
            Assert.AreEqual((a + b) % P, System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits[..P]));
            Assert.AreEqual((a + b) % P, System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits[P..]));
        }
        batch.Tokens[1] = P + 3;
        StringAssert.Contains(Assert.ThrowsException<ModelSessionException>(batch.Run).Message, $"token {P + 3}");
    }

    [TestMethod]
    public void ADisposedSessionRefusesWork()
    {
        var session = ModelSession.FromModel(TestModels.ExactModularAddition(P), "exact");
        session.Dispose();
        Assert.ThrowsException<ObjectDisposedException>(() => session.RunGrid());
    }

    /// <summary>IProgress that records on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(List<double> reports) : IProgress<double>
    {
        public void Report(double value) => reports.Add(value);
    }
}
