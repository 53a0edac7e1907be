using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Surgery;

namespace BitOnnx.Pipelines.Transcoders;

/// <summary>
/// <c>bitonnx transcoder splice</c> as a library call: the model with its MLP replaced by a transcoder trained on it
/// (<see cref="TranscoderSurgery"/>), written as an .onnx file. A transcoder of another model is refused.
/// </summary>
public static class TranscoderSplicing
{
    /// <summary>Writes the spliced model to <paramref name="outputPath"/>; <paramref name="transcoderPath"/> is the transcoder's folder or file.</summary>
    public static string Write(string modelPath, string transcoderPath, string outputPath)
    {
        OutputPath.RequireFile(outputPath, "the spliced model");
        var model = Splice(modelPath, transcoderPath);
        model.Save(outputPath);
        return outputPath;
    }

    /// <summary>The spliced model, in memory.</summary>
    public static OnnxModel Splice(string modelPath, string transcoderPath)
    {
        var file = Directory.Exists(transcoderPath) ? Path.Combine(transcoderPath, TranscoderFile.FileName) : transcoderPath;
        var transcoder = TranscoderFile.Read(file);
        if (!File.Exists(modelPath)) throw new OnnxFormatException(modelPath, $"ONNX model '{modelPath}' does not exist; give the .onnx file the transcoder was trained on.");
        var model = OnnxModel.Load(modelPath);
        var name = Path.GetFileName(modelPath);
        var source = TranscoderTrainingPipeline.SourceOf(modelPath, ExportMetadata.Read(model, name));
        if (!transcoder.Source.Matches(source))
            throw new BitOnnxException($"Transcoder '{file}' was trained on '{transcoder.Source.Name}' (P = {transcoder.Source.P}, weights sha256 {Short(transcoder.Source.WeightsSha256)}), not on '{name}' (P = {source.P}, {Short(source.WeightsSha256)}); splice it into the model it was trained on, or train one for this model.");
        return TranscoderSurgery.Splice(model, name, transcoder);
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : sha;
}
