using BitOnnx.Analysis.Interventions;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Weights;

namespace BitOnnx.Pipelines.Interventions;

/// <summary>
/// Hook gradients from the engine's backward pass (<see cref="HookedModel"/>) for an exported model: its folded weights
/// read from the ONNX file and run as a full-precision model of the same shape. An export's quantizer was applied once,
/// at export, so the folded weights are the weights its forward pass uses, and the engine computes that forward pass in
/// float32 as ONNX Runtime does (to rounding).
/// </summary>
public sealed class EngineHookGradients : IHookGradients
{
    private readonly HookedModel _model;

    private EngineHookGradients(HookedModel model, string describe)
    {
        _model = model;
        Describe = describe;
    }

    public string Describe { get; }

    /// <summary>The engine on the weights of <paramref name="onnx"/>, whose bitonnx metadata <paramref name="metadata"/> gives the shapes.</summary>
    public static EngineHookGradients FromOnnx(OnnxModel onnx, ExportMetadata metadata, string name, int threads = 0)
    {
        var config = metadata.Config
            ?? throw new ModelContractException($"Model '{name}' carries no bitonnx config, so the engine cannot rebuild it for attribution patching; re-export it with bitonnx export.");
        // Folded weights are already what the quantizer made; quantizing them again would be wrong.
        var folded = config with { Quantization = WeightQuantization.None, QuantScope = QuantScope.Linears };
        var parameters = ParameterSet.Zeros(folded);
        var weights = new FoldedWeights(onnx, name);
        foreach (var entry in parameters.Entries)
        {
            if (!weights.TryRead(entry.Name, out var weight))
                throw new ModelContractException($"Model '{name}' holds no weight '{entry.Name}', which attribution patching rebuilds the model from; re-export it with bitonnx export (or pass --no-attribution).");
            if (weight.Data.Length != entry.Shape.Size)
                throw new ModelContractException($"Model '{name}': weight '{entry.Name}' holds {weight.Data.Length} values; the config's shape {entry.Shape} needs {entry.Shape.Size}.");
            weight.Data.CopyTo(parameters[entry.Name]);
        }
        var model = new HookedModel(folded, parameters, threads > 0 ? threads : Environment.ProcessorCount);
        return new EngineHookGradients(model, "the engine's backward pass on the model's folded weights, float32");
    }

    public HookPass Run(long[] tokens, IReadOnlyCollection<string> hooks, LogitMetric? metric)
    {
        var run = _model.Run(Array.ConvertAll(tokens, t => checked((int)t)));
        var activations = hooks.ToDictionary(h => h, h => run[h].Data, StringComparer.Ordinal);
        if (metric is null) return new HookPass(activations, null);
        var gradients = _model.Backward(run, metric);
        return new HookPass(activations, hooks.ToDictionary(h => h, h => gradients[h].Data, StringComparer.Ordinal));
    }
}
