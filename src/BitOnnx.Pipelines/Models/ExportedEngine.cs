using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Weights;

namespace BitOnnx.Pipelines.Models;

/// <summary>
/// The engine's <see cref="HookedModel"/> on an exported model's folded weights, read from the ONNX file and run as a
/// full-precision model of the same shape. An export's quantizer was applied once, at export, so the folded weights are
/// the weights its forward pass uses, and the engine computes that forward pass in float32 as ONNX Runtime does (to
/// rounding). What attribution patching's gradients and circuit discovery run on.
/// </summary>
public static class ExportedEngine
{
    /// <param name="name">The model's name in messages.</param>
    /// <param name="purpose">What needs the engine, for messages: "attribution patching".</param>
    /// <param name="instead">What to do instead when the model cannot be rebuilt, appended to the message (may be empty).</param>
    /// <param name="threads">Threads of each run; 0 for every core.</param>
    public static HookedModel Load(OnnxModel onnx, ExportMetadata metadata, string name, string purpose, string instead = "", int threads = 0)
    {
        var config = metadata.Config
            ?? throw new ModelContractException($"Model '{name}' carries no bitonnx config, so the engine cannot rebuild it for {purpose}; re-export it with bitonnx export{instead}.");
        // Folded weights are already what the quantizer made; quantizing them again would be wrong.
        var folded = config with { Quantization = WeightQuantization.None, QuantScope = QuantScope.Linears };
        var parameters = ParameterSet.Zeros(folded);
        var weights = new FoldedWeights(onnx, name);
        foreach (var entry in parameters.Entries)
        {
            if (!weights.TryRead(entry.Name, out var weight))
                throw new ModelContractException($"Model '{name}' holds no weight '{entry.Name}', which {purpose} rebuilds the model from; re-export it with bitonnx export{instead}.");
            if (weight.Data.Length != entry.Shape.Size)
                throw new ModelContractException($"Model '{name}': weight '{entry.Name}' holds {weight.Data.Length} values; the config's shape {entry.Shape} needs {entry.Shape.Size}.");
            weight.Data.CopyTo(parameters[entry.Name]);
        }
        return new HookedModel(folded, parameters, threads > 0 ? threads : Environment.ProcessorCount);
    }
}
