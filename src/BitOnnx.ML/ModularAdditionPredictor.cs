using System.Globalization;
using BitOnnx.Core;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Surgery;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Onnx;

namespace BitOnnx.ML;

/// <summary>
/// The predictor as a chain of ML.NET's own components, so a model saved with mlContext.Model.Save loads in any app that
/// references Microsoft.ML and Microsoft.ML.OnnxTransformer (ApplyOnnxModel stores the ONNX bytes inside the zip):
/// ConvertType A, B Int32 → Int64; ApplyOnnxModel over a pair-signature graph (Score, PredictedSum, logits);
/// ConvertType PredictedSum Int64 → Int32 and A, B back to Int32.
/// </summary>
public static class ModularAdditionPredictor
{
    /// <summary>
    /// ONNX Runtime's threads per call: one. One row per call (how OnnxTransformer scores) is too small to share out.
    /// The float graph needs no setting for that (<see cref="OneRowMatMuls"/> keeps its products on the calling thread),
    /// but int8 and int2 graphs compute their weights inside the graph, where the split does not reach. ML.NET saves no
    /// thread settings in a model zip; they come from the MLContext that loads it (mlContext.SetOnnxSessionOption).
    /// </summary>
    public static OnnxSessionOptions SessionOptions() => new() { IntraOpNumThreads = 1, InterOpNumThreads = 1 };

    /// <summary>The chain over <paramref name="onnxModel"/>, an export with <see cref="GraphSignature.Pair"/>.</summary>
    /// <remarks>Gives <paramref name="ml"/> <see cref="SessionOptions"/> unless it has session options of its own.</remarks>
    public static IEstimator<ITransformer> Create(MLContext ml, byte[] onnxModel, int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(onnxModel);
        var graph = RequirePairSignature(onnxModel);
        if (gpuDeviceId is { } device && GpuPlacement.Check(ml, onnxModel, device, fallbackToCpu) == "Cpu") gpuDeviceId = null;
        if (ml.GetOnnxSessionOption() is null) ml.SetOnnxSessionOption(SessionOptions());
        // ML.NET calls the graph once per row: no product in it may be large enough for ONNX Runtime to share it out.
        var bytes = OneRowMatMuls.Split(graph.Proto) > 0 ? graph.ToBytes() : onnxModel;
        // From a stream, OnnxTransformer keeps its own copy of the bytes (and saves them into the model zip).
        using var model = new MemoryStream(bytes, writable: false);
        return ml.Transforms.Conversion.ConvertType(Addends(), DataKind.Int64)
            .Append(ml.Transforms.ApplyOnnxModel(
                [ModularAdditionColumns.Score, ModularAdditionColumns.PredictedSum, ModularAdditionColumns.Logits],
                [ModularAdditionColumns.A, ModularAdditionColumns.B], model, gpuDeviceId, fallbackToCpu))
            .Append(ml.Transforms.Conversion.ConvertType(
                [new InputOutputColumnPair(ModularAdditionColumns.PredictedSum), .. Addends()], DataKind.Int32));
    }

    /// <summary>The chain read from an ONNX file with the pair signature.</summary>
    public static IEstimator<ITransformer> Create(MLContext ml, string onnxPath, int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        if (!File.Exists(onnxPath))
            throw new BitOnnxException($"No ONNX model at '{onnxPath}'; export one with bitonnx export --signature pair.");
        return Create(ml, File.ReadAllBytes(onnxPath), gpuDeviceId, fallbackToCpu);
    }

    /// <summary>The fitted chain, ready to Transform or Save (the ONNX transform needs only the input schema to fit).</summary>
    public static ITransformer Fitted(MLContext ml, byte[] onnxModel, int? gpuDeviceId = null, bool fallbackToCpu = false) =>
        Create(ml, onnxModel, gpuDeviceId, fallbackToCpu).Fit(EmptyInput(ml));

    /// <summary>A data view with no rows and the input schema (A, B: Int32): what Model.Save records as the input.</summary>
    public static IDataView EmptyInput(MLContext ml) => ml.Data.LoadFromEnumerable(Array.Empty<ModularAdditionInput>());

    private static OnnxModel RequirePairSignature(byte[] onnxModel)
    {
        var model = OnnxModel.FromBytes(onnxModel);
        var inputs = model.Inputs.Select(i => i.Name).ToHashSet();
        if (!inputs.SetEquals([ModularAdditionColumns.A, ModularAdditionColumns.B]) ||
            ExportMetadata.Read(model, "the model").Input != ExportMetadata.PairInput)
            throw new BitOnnxException($"This ONNX model takes {string.Join(", ", inputs)}, not A and B; export it with bitonnx export --signature pair (or -o model.zip for the ML.NET model).");
        return model;
    }

    private static InputOutputColumnPair[] Addends() =>
        [new InputOutputColumnPair(ModularAdditionColumns.A), new InputOutputColumnPair(ModularAdditionColumns.B)];
}

/// <summary>One input row: the two addends (what <see cref="ModularAdditionPredictor.EmptyInput"/> declares).</summary>
public sealed class ModularAdditionInput
{
    public int A { get; set; }
    public int B { get; set; }
}

/// <summary>One scored row, for a PredictionEngine.</summary>
public sealed class ModularAdditionPrediction
{
    /// <summary>The predicted (A + B) mod P: a one-element vector (see <see cref="ModularAdditionColumns.PredictedSum"/>).</summary>
    [VectorType(1)]
    public int[] PredictedSum { get; set; } = [];

    /// <summary>Class probabilities [P].</summary>
    public float[] Score { get; set; } = [];

    [ColumnName(ModularAdditionColumns.Logits)]
    public float[] Logits { get; set; } = [];

    /// <summary>The answer as a number.</summary>
    public int Sum => PredictedSum.Length == 1 ? PredictedSum[0] : throw new InvalidOperationException("PredictedSum holds no value.");
}
