using Microsoft.ML;

namespace BitOnnx.ML;

/// <summary>mlContext.ModularAddition(): the trainer and the predictor, the way ML.NET's packages add their catalogs.</summary>
public static class ModularAdditionCatalogExtensions
{
    public static ModularAdditionCatalog ModularAddition(this MLContext ml)
    {
        ArgumentNullException.ThrowIfNull(ml);
        return new ModularAdditionCatalog(ml);
    }
}

public sealed class ModularAdditionCatalog
{
    private readonly MLContext _ml;

    internal ModularAdditionCatalog(MLContext ml) => _ml = ml;

    /// <summary>Trains on the rows Fit is given (A, B, label; Int32) and returns the predictor.</summary>
    public ModularAdditionTrainer Trainer(ModularAdditionTrainerOptions? options = null) => new(_ml, options ?? new ModularAdditionTrainerOptions());

    /// <summary>The predictor over an ONNX file exported with the pair signature (bitonnx export --signature pair).</summary>
    /// <remarks>
    /// ML.NET runs the graph once per row; the predictor's graph keeps every one-row product on the calling thread, so
    /// a zip saved from it scores as fast under a default MLContext as with one ONNX Runtime thread.
    /// </remarks>
    /// <param name="gpuDeviceId">A CUDA device to score on; null for the CPU.</param>
    /// <param name="fallbackToCpu">Score on the CPU, with a warning in mlContext.Log, when that device cannot.</param>
    public IEstimator<ITransformer> Predictor(string onnxPath, int? gpuDeviceId = null, bool fallbackToCpu = false) =>
        ModularAdditionPredictor.Create(_ml, onnxPath, gpuDeviceId, fallbackToCpu);

    /// <summary>The predictor over the bytes of an ONNX model exported with the pair signature.</summary>
    public IEstimator<ITransformer> Predictor(byte[] onnxModel, int? gpuDeviceId = null, bool fallbackToCpu = false) =>
        ModularAdditionPredictor.Create(_ml, onnxModel, gpuDeviceId, fallbackToCpu);
}
