using BitOnnx.Analysis;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Tasks;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Pipelines.Models;

/// <summary>
/// A sequence model file opened as an <see cref="IHookedSequenceModel"/>, whatever runs it: a
/// <see cref="SequenceCheckpoint"/> (.safetensors) on TorchSharp today; an exported .onnx is the next kind, opened here
/// the same way once the export writes writable hooks, so that the tools never ask which.
/// </summary>
public sealed class HookedSequenceModelFile : IDisposable
{
    private readonly IDisposable _owner;

    private HookedSequenceModelFile(IHookedSequenceModel model, IDisposable owner, string kind)
    {
        Model = model;
        _owner = owner;
        Kind = kind;
    }

    public IHookedSequenceModel Model { get; }

    /// <summary>What runs it, for messages: "TorchSharp (safetensors checkpoint)".</summary>
    public string Kind { get; }

    public static HookedSequenceModelFile Open(string path)
    {
        if (!File.Exists(path)) throw new AnalysisInputException($"Model '{path}' does not exist; give a sequence-model checkpoint (.safetensors) written by the arithmetic trainer.");
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new AnalysisInputException($"'{path}' is an ONNX file, and ONNX sequence models are not opened with hooks yet; give the .safetensors checkpoint it was exported from.");
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new AnalysisInputException($"'{path}' is neither a .safetensors checkpoint nor an .onnx file; give a sequence-model checkpoint (.safetensors).");
        var (_, metadata) = SafeTensorsFile.Read(path);
        if (metadata.TryGetValue(ModelCheckpoint.FormatKey, out var format) && format == ModelCheckpoint.FormatValue)
            throw new AnalysisInputException($"'{path}' is a modular-addition model; Quirke et al.'s tools read n-digit arithmetic sequence models (add5, sub5, mix5), so give one of those.");
        var model = SequenceTransformer.Load(path);
        return new HookedSequenceModelFile(new TorchHookedSequence(model), model, "TorchSharp (safetensors checkpoint)");
    }

    public void Dispose() => _owner.Dispose();
}
