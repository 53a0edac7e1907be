using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Pipeline.ModularAddition;
using BitOnnx.Pipeline.Onnx;

namespace BitOnnx.Pipeline.Tests;

[TestClass]
public sealed class PipelineTests
{
    private static readonly ModularAdditionTrainerOptions Small = new()
    {
        P = 11,
        DModel = 16,
        NHeads = 2,
        DMlp = 32,
        Quantization = WeightQuantization.Ternary,
        Epochs = 40,
        Seed = 2,
        Threads = 1,
    };

    private static IReadOnlyList<ModularAdditionInput> AllPairs(int p) =>
        Enumerable.Range(0, p * p).Select(r => new ModularAdditionInput(r / p, r % p)).ToList();

    private static string Temp(string file) => Path.Combine(Path.GetTempPath(), "bitonnx-pipeline-tests", Guid.NewGuid().ToString("N"), file);

    [TestMethod]
    [DataRow(WeightFormat.Float)]
    [DataRow(WeightFormat.Int2)]
    public void FitTransformSaveAsOnnxApplyOnnxGivesTheSamePredictions(WeightFormat format)
    {
        var context = new BitOnnxContext();
        using var trained = context.ModularAddition.Trainer(Small).Fit();
        var rows = AllPairs(11);
        var fromEngine = trained.Transform(rows);
        var onnx = Temp("model.onnx");
        trained.SaveAsOnnx(onnx, format);
        using var applied = context.Model.ApplyOnnxModel(onnx, new OnnxModelOptions { ExpectedP = 11 });
        var fromOnnx = applied.Transform(rows);
        Assert.AreEqual("Cpu", applied.ExecutionProvider);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.AreEqual(fromEngine[i].PredictedSum, fromOnnx[i].PredictedSum, $"row {i}");
            for (var c = 0; c < 11; c++) Assert.AreEqual(fromEngine[i].Scores[c], fromOnnx[i].Scores[c], 1e-4f * Math.Max(1, Math.Abs(fromEngine[i].Scores[c])));
        }
        var engine = applied.CreatePredictionEngine();
        Assert.AreEqual(fromOnnx[5 * 11 + 7].PredictedSum, engine.Predict(new ModularAdditionInput(5, 7)).PredictedSum);
    }

    [TestMethod]
    public void SaveAndLoadRoundTripsTheCheckpoint()
    {
        var context = new BitOnnxContext();
        using var trained = context.ModularAddition.Trainer(Small with { Epochs = 5 }).Fit();
        var path = Temp("model.safetensors");
        trained.Save(path);
        using var loaded = context.Model.Load(path);
        Assert.AreEqual(trained.Config, loaded.Config);
        var rows = AllPairs(11);
        CollectionAssert.AreEqual(trained.Transform(rows).Select(p => p.PredictedSum).ToArray(), loaded.Transform(rows).Select(p => p.PredictedSum).ToArray());
    }

    [TestMethod]
    public void BadRowsNameTheRow()
    {
        using var trained = new BitOnnxContext().ModularAddition.Trainer(Small with { Epochs = 1 }).Fit();
        var e = Assert.ThrowsException<InvalidRowException>(() => trained.Transform([new(1, 2), new(3, 4), new(11, 0)]));
        StringAssert.Contains(e.Message, "Row 2: A = 11 is outside 0..10");
        e = Assert.ThrowsException<InvalidRowException>(() => trained.Transform([new(1, -1)]));
        StringAssert.Contains(e.Message, "Row 0: B = -1");
    }

    [TestMethod]
    public void WrongPIsRefusedWhenApplyingAnOnnxModel()
    {
        var context = new BitOnnxContext();
        using var trained = context.ModularAddition.Trainer(Small with { Epochs = 1 }).Fit();
        var onnx = Temp("model.onnx");
        trained.SaveAsOnnx(onnx);
        var e = Assert.ThrowsException<OnnxModelMismatchException>(() => context.Model.ApplyOnnxModel(onnx, new OnnxModelOptions { ExpectedP = 113 }));
        StringAssert.Contains(e.Message, "P = 11, not P = 113");
    }

    [TestMethod]
    public void CudaFallsBackToCpuWithTheReasonOrFailsClearly()
    {
        var context = new BitOnnxContext();
        using var trained = context.ModularAddition.Trainer(Small with { Epochs = 1 }).Fit();
        var onnx = Temp("model.onnx");
        trained.SaveAsOnnx(onnx);
        using var fallback = context.Model.ApplyOnnxModel(onnx, new OnnxModelOptions { Provider = ExecutionProvider.Cuda });
        Assert.AreEqual("Cpu", fallback.ExecutionProvider);
        StringAssert.Contains(fallback.FallbackReason, CudaProvider.IsCudaBuild ? "not found" : CudaProvider.BuildSwitch);
        Assert.AreEqual(121, fallback.Transform(AllPairs(11)).Count);
        var e = Assert.ThrowsException<ExecutionProviderUnavailableException>(() =>
            context.Model.ApplyOnnxModel(onnx, new OnnxModelOptions { Provider = ExecutionProvider.Cuda, FallbackToCpu = false }));
        StringAssert.Contains(e.Message, "The CPU provider works");
    }

    [TestMethod]
    public void DisposedTransformersRefuseWork()
    {
        var context = new BitOnnxContext();
        var trained = context.ModularAddition.Trainer(Small with { Epochs = 1 }).Fit();
        var onnx = Temp("model.onnx");
        trained.SaveAsOnnx(onnx);
        var applied = context.Model.ApplyOnnxModel(onnx);
        applied.Dispose();
        trained.Dispose();
        Assert.ThrowsException<ObjectDisposedException>(() => applied.Transform([new(1, 2)]));
        Assert.ThrowsException<ObjectDisposedException>(() => trained.SaveAsOnnx(onnx));
    }
}
