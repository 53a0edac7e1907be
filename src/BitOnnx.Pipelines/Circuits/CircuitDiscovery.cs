using BitOnnx.Core.Circuits;
using BitOnnx.Core.Data;
using BitOnnx.Engine.Circuits;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Pipelines.Models;

namespace BitOnnx.Pipelines.Circuits;

/// <summary>What <c>bitonnx circuit</c> asks for.</summary>
/// <param name="Taus">The thresholds, each positive: one circuit each (several make the faithfulness curve).</param>
/// <param name="Seed">Seed of the resample's draw of another row for each row.</param>
/// <param name="Steps">EAP-IG's points between clean and corrupted.</param>
/// <param name="Threads">Threads of the engine; 0 for every core.</param>
/// <param name="MlpGroups">Each MLP split into this many groups of contiguous neurons, each its own node (<see cref="CircuitGraph.Of"/>).</param>
public sealed record CircuitRequest(CircuitMethod Method, CircuitMetric Metric, IReadOnlyList<double> Taus, Corruption Corruption,
    long Seed = 0, int Steps = CircuitSearch.DefaultSteps, int Threads = 0, int MlpGroups = 1);

/// <summary>What a circuit search found, on the graph it searched (what its diagram draws).</summary>
/// <param name="Model">The model's file name, as the JSON and the diagram name it.</param>
public sealed record DiscoveredCircuits(CircuitReport Report, CircuitGraph Graph, string Model)
{
    /// <summary>The report as JSON (<see cref="CircuitJson"/>).</summary>
    public void WriteJson(string path) => CircuitJson.Write(path, Report, Model);

    /// <summary>The first τ's circuit as an SVG diagram (<see cref="CircuitDiagram"/>).</summary>
    public void WriteSvg(string path) => CircuitDiagram.Write(path, Graph, Report, Model);
}

/// <summary>
/// Circuit discovery on an exported model: the engine rebuilt from the export's folded weights
/// (<see cref="ExportedEngine"/>), every pair (a, b) of its P² as the rows, edge patching against resampled or mean
/// senders (<see cref="EdgePatching"/>), and ACDC, EAP or EAP-IG at each threshold (<see cref="CircuitSearch"/>).
/// </summary>
public static class CircuitDiscovery
{
    public static DiscoveredCircuits Run(string path, CircuitRequest request, IProgress<double>? progress = null)
    {
        CircuitSearch.Check(request.Method, request.Metric, request.Taus);
        var name = Path.GetFileName(path);
        var onnx = OnnxModel.Load(path);
        var model = ExportedEngine.Load(onnx, ExportMetadata.Read(onnx, name), name, "circuit discovery", threads: request.Threads);
        var p = model.Config.P;
        var patching = new EdgePatching(model, ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p)), request.Corruption, request.Seed, request.MlpGroups);
        return new DiscoveredCircuits(CircuitSearch.Run(patching, request.Method, request.Metric, request.Taus, request.Steps, progress), patching.Graph, name);
    }
}
