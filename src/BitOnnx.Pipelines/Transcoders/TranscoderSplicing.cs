using BitOnnx.Analysis.Explanations;
using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Transcoders;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Surgery;

namespace BitOnnx.Pipelines.Transcoders;

/// <summary>
/// <c>bitonnx transcoder splice</c> as a library call: the model with its MLP replaced by a transcoder trained on it
/// (<see cref="TranscoderSurgery"/>), or by its decoder fed by a simulator of its latents' explanations
/// (<see cref="SimulatedTranscoderSurgery"/>, the formulas of TC/latents.csv), written as an .onnx file. A transcoder of
/// another model is refused.
/// </summary>
public static class TranscoderSplicing
{
    /// <summary>Writes the spliced model to <paramref name="outputPath"/>; <paramref name="transcoderPath"/> is the transcoder's folder or file.</summary>
    public static string Write(string modelPath, string transcoderPath, string outputPath, bool fromExplanations = false)
    {
        OutputPath.RequireFile(outputPath, "the spliced model");
        var model = fromExplanations ? SpliceFromExplanations(modelPath, transcoderPath) : Splice(modelPath, transcoderPath);
        model.Save(outputPath);
        return outputPath;
    }

    /// <summary>The spliced model, in memory.</summary>
    public static OnnxModel Splice(string modelPath, string transcoderPath)
    {
        var (model, name, transcoder) = Load(modelPath, transcoderPath);
        return TranscoderSurgery.Splice(model, name, transcoder);
    }

    /// <summary>
    /// The model with its MLP replaced by the transcoder's decoder of latents simulated from their explanations, read
    /// from <see cref="TranscoderTrainingPipeline.LatentsFileName"/> beside the transcoder (one row per latent).
    /// </summary>
    public static OnnxModel SpliceFromExplanations(string modelPath, string transcoderPath)
    {
        var (model, name, transcoder) = Load(modelPath, transcoderPath);
        var folder = Directory.Exists(transcoderPath) ? transcoderPath : Path.GetDirectoryName(Path.GetFullPath(transcoderPath))!;
        var csv = Path.Combine(folder, TranscoderTrainingPipeline.LatentsFileName);
        if (!File.Exists(csv))
            throw new BitOnnxException($"'{csv}' does not exist, so the latents have no explanations to simulate; train the transcoder again with this version of bitonnx transcoder train, which writes it.");
        var formulas = ExplanationCsv.ParseFormulas(File.ReadAllText(csv));
        if (formulas.Count != transcoder.Config.Width || formulas.Select(f => f.Unit).Order().Where((u, i) => u != i).Any() || formulas.Any(f => f.Formula.P != transcoder.Source.P))
            throw new BitOnnxException($"'{csv}' does not explain latents 0..{transcoder.Config.Width - 1} of this transcoder at P = {transcoder.Source.P} once each; write it again with bitonnx transcoder train.");
        return SimulatedTranscoderSurgery.Splice(model, name, transcoder, formulas.OrderBy(f => f.Unit).Select(f => f.Formula).ToList());
    }

    private static (OnnxModel Model, string Name, Transcoder Transcoder) Load(string modelPath, string transcoderPath)
    {
        var file = Directory.Exists(transcoderPath) ? Path.Combine(transcoderPath, TranscoderFile.FileName) : transcoderPath;
        var transcoder = TranscoderFile.Read(file);
        if (!File.Exists(modelPath)) throw new OnnxFormatException(modelPath, $"ONNX model '{modelPath}' does not exist; give the .onnx file the transcoder was trained on.");
        var model = OnnxModel.Load(modelPath);
        var name = Path.GetFileName(modelPath);
        var source = TranscoderTrainingPipeline.SourceOf(modelPath, ExportMetadata.Read(model, name));
        if (!transcoder.Source.Matches(source))
            throw new BitOnnxException($"Transcoder '{file}' was trained on '{transcoder.Source.Name}' (P = {transcoder.Source.P}, weights sha256 {Short(transcoder.Source.WeightsSha256)}), not on '{name}' (P = {source.P}, {Short(source.WeightsSha256)}); splice it into the model it was trained on, or train one for this model.");
        return (model, name, transcoder);
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : sha;
}
