using System.Security.Cryptography;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx.Contract;

namespace BitOnnx.Analysis.Inputs;

/// <summary>A transcoder trained on the model it is shown with (<c>bitonnx analyze --transcoder</c>): what the report's transcoder section reads.</summary>
/// <param name="Path">The transcoder.safetensors it was read from.</param>
public sealed record TranscoderInput(Transcoder Transcoder, string Path)
{
    /// <summary>
    /// The identity of the model at <paramref name="modelPath"/> as a transcoder records it: the weights' sha256 its
    /// export records, else the file's own sha256.
    /// </summary>
    public static TranscoderSource SourceOf(string modelPath, ExportMetadata metadata) =>
        new(System.IO.Path.GetFileName(modelPath), metadata.P, metadata.WeightsSha256 ?? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(modelPath))));

    /// <summary>
    /// Reads the transcoder at <paramref name="path"/> (its folder or file) and checks it was trained on
    /// <paramref name="modelPath"/>, a model with its own MLP; an <see cref="AnalysisInputException"/> otherwise.
    /// </summary>
    public static TranscoderInput Read(string path, string modelPath, ExportMetadata metadata, string model, bool spliced)
    {
        var file = Directory.Exists(path) ? System.IO.Path.Combine(path, TranscoderFile.FileName) : path;
        if (!File.Exists(file))
            throw new AnalysisInputException($"Transcoder '{path}' does not exist; give the folder bitonnx transcoder train wrote for model '{model}'.");
        if (spliced)
            throw new AnalysisInputException($"Model '{model}' already has a transcoder spliced in, so its MLP is gone; give --transcoder with the model the transcoder was trained on.");
        var transcoder = TranscoderFile.Read(file);
        var source = SourceOf(modelPath, metadata);
        if (!transcoder.Source.Matches(source))
            throw new AnalysisInputException($"Transcoder '{path}' was trained on '{transcoder.Source.Name}' (P = {transcoder.Source.P}), not on model '{model}' (P = {source.P}, other weights); give the transcoder trained on this model.");
        return new TranscoderInput(transcoder, file);
    }
}
