using System.Buffers.Binary;
using System.IO.Compression;
using BitOnnx.Core;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace BitOnnx.ML;

/// <summary>
/// Reads a model zip written by <see cref="MlNetExport"/> (<c>bitonnx export -o model.zip</c>): ML.NET's own
/// mlContext.Model.Load, with the zip's faults turned into one <see cref="InvalidFileException"/> naming the file, and a
/// check that it is the modular-addition predictor (inputs A and B, a Score vector of P classes).
/// </summary>
public static class MlNetModelFile
{
    /// <summary>The loaded predictor and its modulus P (the width of Score).</summary>
    public static (ITransformer Model, int P) Load(MLContext ml, string path)
    {
        if (!File.Exists(path)) throw new InvalidFileException(path, $"ML.NET model '{path}' does not exist; give a model zip written by bitonnx export -o model.zip.");
        ZipIntegrity.Require(path);
        ITransformer model;
        DataViewSchema? input;
        try
        {
            model = ml.Model.Load(path, out input);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or InvalidOperationException or EndOfStreamException
                                      or ArgumentException or NotSupportedException or System.Reflection.TargetInvocationException)
        {
            // ML.NET reports a zip it cannot read with whichever of these its reader hit first (a component's loader,
            // called by reflection, arrives wrapped); the zip is at fault.
            var cause = e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner : e;
            throw new InvalidFileException(path, $"'{path}' is not a readable ML.NET model zip ({cause.Message}); give a model zip written by bitonnx export -o model.zip.", e);
        }
        // ML.NET gives no input schema for a zip without its Schema entry.
        if (input?.GetColumnOrNull(ModularAdditionColumns.A) is null || input.GetColumnOrNull(ModularAdditionColumns.B) is null)
            throw new InvalidFileException(path, $"'{path}' is an ML.NET model that does not take columns A and B; give a model zip written by bitonnx export -o model.zip.");
        var output = model.GetOutputSchema(input);
        var score = output.GetColumnOrNull(ModularAdditionColumns.Score);
        if (score?.Type is not VectorDataViewType { Size: >= 2 } vector)
            throw new InvalidFileException(path, $"'{path}' is an ML.NET model without a Score vector of class probabilities; give a model zip written by bitonnx export -o model.zip.");
        return (model, vector.Size);
    }

    /// <summary>
    /// The bitonnx metadata of the ONNX graph a zip carries (ML.NET's OnnxTransformer keeps it as an entry
    /// <c>.../OnnxModel</c>: an int32 length, then the model's bytes), or null for a zip without one: what verify reads
    /// to know whether the graph rounds its activations.
    /// </summary>
    public static ExportMetadata? EmbeddedMetadata(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var entry = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal));
        if (entry is null) return null;
        using var stream = entry.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.Length < 4 || BinaryPrimitives.ReadInt32LittleEndian(bytes) != bytes.Length - 4) return null;
        try
        {
            return ExportMetadata.Read(OnnxModel.FromBytes(bytes[4..]), Path.GetFileName(path));
        }
        catch (BitOnnxException)
        {
            return null;
        }
    }

    /// <summary>The logits [rows, P] the model gives the pairs (a, b), scored through ML.NET's Transform, in row order.</summary>
    public static float[] Logits(MLContext ml, ITransformer model, int p, IReadOnlyList<(int A, int B)> pairs)
    {
        var rows = pairs.Select(x => new ModularAdditionInput { A = x.A, B = x.B });
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        var logits = new float[pairs.Count * p];
        var i = 0;
        foreach (var row in scored.GetColumn<float[]>(ModularAdditionColumns.Logits))
            row.CopyTo(logits, p * i++);
        return logits;
    }
}
