using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using Microsoft.ML;

namespace BitOnnx.ML;

/// <summary>
/// A checkpoint as the ML.NET model: the pair-signature graph, saved with mlContext.Model.Save into a zip whole or not at
/// all. Block 0's tables are precomputed in float for the formats ONNX Runtime cannot fold at load (float folds them
/// either way; int8 would redo them through DequantizeLinear on every call); the 2-bit formats fold their own.
/// </summary>
public static class MlNetExport
{
    public static ExportOptions GraphOptions { get; } = new()
    {
        Signature = GraphSignature.Pair,
        Weights = WeightFormat.Float,
        PrecomputedTables = true,
    };

    /// <summary>
    /// The format that scores fastest per row, what ML.NET does on every call (one row per ONNX Runtime Run;
    /// MlNetScoringBenchmarks): for binary and ternary models int2-native, whose MatMulNBits runs ONNX Runtime's native
    /// 2-bit kernels, fastest at one row (li2024-binary at P = 113 on a Zen 5 core, CPU time per PredictionEngine row over
    /// four runs: 24.0–25.8 µs, float 24.9–27.7 µs, int2 27.8–28.9 µs), with 8-bit activations that predict every pair
    /// as the engine does on the shipped models; float for full-precision models.
    /// </summary>
    public static WeightFormat FastestPerRow(TransformerConfig config) =>
        config.Quantization == WeightQuantization.None ? WeightFormat.Float : WeightFormat.Int2Native;

    public static byte[] PairGraph(ModelCheckpoint.Loaded checkpoint, WeightFormat weights = WeightFormat.Float) =>
        TransformerExporter.Export(checkpoint, GraphOptions with { Weights = weights, PrecomputedTables = !WeightFormats.IsTwoBit(weights) }).Model.ToBytes();

    /// <summary>
    /// Writes the predictor of <paramref name="checkpoint"/> to a model zip at <paramref name="path"/>; returns its size.
    /// <paramref name="weights"/> null: <see cref="FastestPerRow"/>.
    /// </summary>
    public static long Save(ModelCheckpoint.Loaded checkpoint, string path, WeightFormat? weights = null)
    {
        var ml = new MLContext();
        var model = ModularAdditionPredictor.Fitted(ml, PairGraph(checkpoint, weights ?? FastestPerRow(checkpoint.Config)));
        Save(ml, model, path);
        return new FileInfo(path).Length;
    }

    /// <summary>mlContext.Model.Save of a fitted predictor, through a temporary file and a rename.</summary>
    public static void Save(MLContext ml, ITransformer model, string path) =>
        AtomicFile.Write(path, stream => ml.Model.Save(model, ModularAdditionPredictor.EmptyInput(ml).Schema, stream));
}
