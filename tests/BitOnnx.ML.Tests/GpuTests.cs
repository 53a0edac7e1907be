using BitOnnx.Core;
using BitOnnx.Core.Model;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BitOnnx.ML.Tests;

/// <summary>
/// gpuDeviceId and fallbackToCpu on a machine whose ONNX Runtime (the CPU package) has no CUDA: without fallback one
/// clear error, with fallback CPU scores and a warning in mlContext.Log. Inconclusive where CUDA works.
/// </summary>
[TestClass]
public sealed class GpuTests
{
    private static byte[] Model() => MlNetExport.PairGraph(SmallModels.ShippedModel("li2024-binary"));

    [TestMethod]
    public void CudaWithoutFallbackIsOneClearError()
    {
        var ml = new MLContext();
        var model = Model();
        if (GpuPlacement.Check(ml, model, 0, fallbackToCpu: true) == "Cuda") Assert.Inconclusive("CUDA works here; this test is for CPU-only builds.");
        var e = Assert.ThrowsException<BitOnnxException>(() => ml.ModularAddition().Predictor(model, gpuDeviceId: 0));
        StringAssert.StartsWith(e.Message, "CUDA device 0 cannot run this model (");
        StringAssert.Contains(e.Message, "fallbackToCpu: true");
    }

    [TestMethod]
    public void CudaWithFallbackScoresOnTheCpuAndSaysSo()
    {
        var ml = new MLContext();
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.Message);
        };
        var model = Model();
        if (GpuPlacement.Check(new MLContext(), model, 0, fallbackToCpu: true) == "Cuda") Assert.Inconclusive("CUDA works here; this test is for CPU-only builds.");
        var predictor = ml.ModularAddition().Predictor(model, gpuDeviceId: 0, fallbackToCpu: true).Fit(ModularAdditionPredictor.EmptyInput(ml));
        Assert.IsTrue(warnings.Any(w => w.Contains("scoring on the CPU instead", StringComparison.Ordinal)), "a warning in mlContext.Log: " + string.Join(" / ", warnings));
        var engine = ml.Model.CreatePredictionEngine<ModularAdditionInput, ModularAdditionPrediction>(predictor);
        Assert.AreEqual((100 + 50) % 113, engine.Predict(new ModularAdditionInput { A = 100, B = 50 }).Sum);
    }
}
