using BitOnnx.Analysis.Analyses;
using BitOnnx.Core.Circuits;
using BitOnnx.Core.Data;
using BitOnnx.Engine.Circuits;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Circuits;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Pipelines.Models;

namespace BitOnnx.Pipelines.Circuits;

/// <summary>What <c>bitonnx circuit</c> asks for.</summary>
/// <param name="Taus">The thresholds, each positive: one circuit each (several make the faithfulness curve).</param>
/// <param name="Seed">Seed of the resample's draw of another row for each row.</param>
/// <param name="Steps">EAP-IG's points between clean and corrupted.</param>
/// <param name="Threads">Threads of the engine or of ONNX Runtime's operators; 0 for every core.</param>
/// <param name="MlpGroups">Unless <paramref name="MlpGroupsByFrequency"/>, each MLP split into this many groups of contiguous neurons, each its own node (<see cref="CircuitGraph.Of(BitOnnx.Core.Model.TransformerConfig, int)"/>).</param>
/// <param name="Backend">What runs the edge-patched passes.</param>
/// <param name="MlpGroupsByFrequency">Each MLP split instead by the key frequency its neurons cluster at (<see cref="FrequencyGroups"/>), <see cref="MlpGroups"/> unused.</param>
public sealed record CircuitRequest(CircuitMethod Method, CircuitMetric Metric, IReadOnlyList<double> Taus, Corruption Corruption,
    long Seed = 0, int Steps = CircuitSearch.DefaultSteps, int Threads = 0, int MlpGroups = 1, CircuitBackend Backend = CircuitBackend.Engine,
    bool MlpGroupsByFrequency = false);

/// <summary>What runs a circuit search's edge-patched passes.</summary>
public enum CircuitBackend
{
    /// <summary>The engine rebuilt from the export's folded weights (<see cref="EdgePatching"/>): every method.</summary>
    Engine,

    /// <summary>ONNX Runtime on the export's edge-patched graph (<see cref="OnnxEdgePatching"/>): ACDC only, EAP needing gradients.</summary>
    OnnxRuntime,
}

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
/// (<see cref="ExportedEngine"/>) or ONNX Runtime on its edge-patched graph (<see cref="OnnxEdgePatching"/>), every pair
/// (a, b) of its P² as the rows, edge patching against resampled or mean senders (<see cref="EdgePatching"/>), and ACDC,
/// EAP or EAP-IG at each threshold (<see cref="CircuitSearch"/>).
/// </summary>
public static class CircuitDiscovery
{
    public static DiscoveredCircuits Run(string path, CircuitRequest request, IProgress<double>? progress = null)
    {
        Check(request);
        var name = Path.GetFileName(path);
        var onnx = OnnxModel.Load(path);
        var p = ExportMetadata.ReadP(onnx, name);
        var tokens = ModularAdditionData.Tokens(p, ModularAdditionData.AllRows(p));
        var partition = request.MlpGroupsByFrequency ? ByFrequency(path, onnx, name, request.Threads) : null;
        if (request.Backend == CircuitBackend.OnnxRuntime)
        {
            var session = new ModelSessionOptions { Threads = request.Threads };
            using var ort = partition is null
                ? new OnnxEdgePatching(onnx, name, tokens, request.Corruption, request.Seed, request.MlpGroups, session)
                : new OnnxEdgePatching(onnx, name, tokens, request.Corruption, partition, request.Seed, session);
            return new DiscoveredCircuits(CircuitSearch.Run(ort, request.Method, request.Metric, request.Taus, request.Steps, progress), ort.Graph, name);
        }
        var model = ExportedEngine.Load(onnx, ExportMetadata.Read(onnx, name), name, "circuit discovery", threads: request.Threads);
        var patching = partition is null
            ? new EdgePatching(model, tokens, request.Corruption, request.Seed, request.MlpGroups)
            : new EdgePatching(model, tokens, request.Corruption, partition, request.Seed);
        return new DiscoveredCircuits(CircuitSearch.Run(patching, request.Method, request.Metric, request.Taus, request.Steps, progress), patching.Graph, name);
    }

    /// <summary>
    /// Each MLP's neurons grouped by the key frequency they cluster at, from the model's MLP activations over all pairs
    /// (<see cref="FrequencyGroups"/>); one block only, as the graph splits every block's MLP alike and each block's
    /// neurons cluster at their own frequencies.
    /// </summary>
    private static MlpPartition ByFrequency(string path, OnnxModel onnx, string name, int threads)
    {
        var config = ExportMetadata.Read(onnx, name).Config
            ?? throw new CircuitException($"Model '{name}' carries no bitonnx config, so its MLP cannot be grouped by frequency; give a model written by bitonnx export.");
        if (config.NLayers != 1)
            throw new CircuitException($"--mlp-groups frequency groups one MLP's neurons by the frequency they cluster at, and model '{name}' has {config.NLayers} blocks; give a one-block model or a number of groups.");
        return FrequencyGroups.Of(path, 0, threads: threads);
    }

    /// <summary>
    /// A <see cref="CircuitException"/> when the search cannot be run as asked (<see cref="CircuitSearch.Check"/>, or EAP on
    /// ONNX Runtime, which gives no gradients). Cheap: before any model is read.
    /// </summary>
    public static void Check(CircuitRequest request)
    {
        CircuitSearch.Check(request.Method, request.Metric, request.Taus);
        if (request.Backend == CircuitBackend.OnnxRuntime && request.Method != CircuitMethod.Acdc)
            throw new CircuitException($"--method {CircuitReport.NameOf(request.Method)} scores edges by gradients, which ONNX Runtime does not give; use --method acdc with --backend onnx, or --backend engine.");
    }
}
