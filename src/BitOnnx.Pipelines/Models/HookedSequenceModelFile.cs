using BitOnnx.Analysis;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Tasks;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Pipelines.Models;

/// <summary>
/// A sequence model file opened as an <see cref="IHookedSequenceModel"/>, whatever runs it: a
/// <see cref="SequenceCheckpoint"/> (.safetensors) on TorchSharp, or an exported .onnx on ONNX Runtime (its probes and
/// writable hooks are the hooks it can be asked for), so that the tools never ask which.
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
        if (!File.Exists(path)) throw new AnalysisInputException($"Model '{path}' does not exist; give a sequence-model checkpoint (.safetensors) written by bitonnx train --task, or the .onnx exported from one.");
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var session = SequenceSession.Open(path);
            // The tools read and write hooks across the whole model; saying so here beats failing at the first one missing.
            if (session.Probes.Count == 0 || session.WritableHooks.Count == 0)
            {
                session.Dispose();
                throw new AnalysisInputException($"'{Path.GetFileName(path)}' was exported without {(session.Probes.Count == 0 ? "probes" : "writable hooks")}, which Quirke et al.'s tools read and write; re-export it with --probes all --writable all.");
            }
            return new HookedSequenceModelFile(session, session, "ONNX Runtime (exported graph)");
        }
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new AnalysisInputException($"'{path}' is neither a .safetensors checkpoint nor an .onnx file; give a sequence-model checkpoint (.safetensors) or its export (.onnx).");
        var (_, metadata) = SafeTensorsFile.Read(path);
        if (metadata.TryGetValue(ModelCheckpoint.FormatKey, out var format) && format == ModelCheckpoint.FormatValue)
            throw new AnalysisInputException($"'{path}' is a modular-addition model; Quirke et al.'s tools read n-digit arithmetic sequence models (add5, sub5, mix5), so give one of those.");
        var model = SequenceTransformer.Load(path);
        return new HookedSequenceModelFile(new TorchHookedSequence(model), model, "TorchSharp (safetensors checkpoint)");
    }

    public void Dispose() => _owner.Dispose();
}
