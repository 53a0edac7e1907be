using BitOnnx.Core.Checkpoints;
using BitOnnx.Onnx.Export;
using Microsoft.ML;

namespace BitOnnx.ML;

/// <summary>
/// A checkpoint as the ML.NET model: the pair-signature graph with float weights and precomputed block-0 tables (the
/// fastest per row of the formats: quantized formats dequantize on every call; see the ML.NET benchmark), saved with
/// mlContext.Model.Save into a zip whole or not at all.
/// </summary>
public static class MlNetExport
{
    public static ExportOptions GraphOptions { get; } = new()
    {
        Signature = GraphSignature.Pair,
        Weights = WeightFormat.Float,
        PrecomputedTables = true,
    };

    public static byte[] PairGraph(ModelCheckpoint.Loaded checkpoint, WeightFormat weights = WeightFormat.Float) =>
        TransformerExporter.Export(checkpoint, GraphOptions with { Weights = weights }).Model.ToBytes();

    /// <summary>Writes the predictor of <paramref name="checkpoint"/> to a model zip at <paramref name="path"/>; returns its size.</summary>
    public static long Save(ModelCheckpoint.Loaded checkpoint, string path, WeightFormat weights = WeightFormat.Float)
    {
        var ml = new MLContext();
        var model = ModularAdditionPredictor.Fitted(ml, PairGraph(checkpoint, weights));
        Save(ml, model, path);
        return new FileInfo(path).Length;
    }

    /// <summary>mlContext.Model.Save of a fitted predictor, through a temporary file and a rename.</summary>
    public static void Save(MLContext ml, ITransformer model, string path) =>
        AtomicFile.Write(path, stream => ml.Model.Save(model, ModularAdditionPredictor.EmptyInput(ml).Schema, stream));
}
