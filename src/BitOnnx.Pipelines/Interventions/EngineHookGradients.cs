using BitOnnx.Analysis.Interventions;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Pipelines.Models;

namespace BitOnnx.Pipelines.Interventions;

/// <summary>
/// Hook gradients from the engine's backward pass (<see cref="HookedModel"/>) for an exported model, on its folded
/// weights (<see cref="ExportedEngine"/>).
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
    public static EngineHookGradients FromOnnx(OnnxModel onnx, ExportMetadata metadata, string name, int threads = 0) =>
        new(ExportedEngine.Load(onnx, metadata, name, "attribution patching", " (or pass --no-attribution)", threads),
            "the engine's backward pass on the model's folded weights, float32");

    public HookPass Run(long[] tokens, IReadOnlyCollection<string> hooks, LogitMetric? metric)
    {
        var run = _model.Run(Array.ConvertAll(tokens, t => checked((int)t)));
        var activations = hooks.ToDictionary(h => h, h => run[h].Data, StringComparer.Ordinal);
        if (metric is null) return new HookPass(activations, null);
        var gradients = _model.Backward(run, metric);
        return new HookPass(activations, hooks.ToDictionary(h => h, h => gradients[h].Data, StringComparer.Ordinal));
    }
}
