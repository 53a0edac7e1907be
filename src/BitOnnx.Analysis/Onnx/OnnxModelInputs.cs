using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Runs;
using BitOnnx.Core.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;

namespace BitOnnx.Analysis.Onnx;

/// <summary>What to open for one model of an analysis.</summary>
/// <param name="ModelPath">The token model (.onnx with probe outputs).</param>
/// <param name="Name">Display name; null: the file name.</param>
/// <param name="Run">Its run folder, when known.</param>
/// <param name="EmbeddedModelPath">An embedded-input export of the same model; null: graph surgery on the token model.</param>
/// <param name="Gradients">False skips gradient symmetricity (no embedded model is built).</param>
/// <param name="CircuitPath">A circuit this model was searched for (<c>bitonnx circuit --json</c>), for the report's circuit section; null: none.</param>
/// <param name="TranscoderPath">A transcoder trained on this model (<c>bitonnx transcoder train</c>'s folder or file), for the report's transcoder section; null: none.</param>
public sealed record OnnxModelRequest(string ModelPath, string? Name = null, TrainingRun? Run = null, string? EmbeddedModelPath = null, bool Gradients = true,
    string? CircuitPath = null, string? TranscoderPath = null);

/// <summary>
/// One ONNX model opened for <see cref="ModelAnalyzer"/>: its probes (only those the analyses need), folded weights (none
/// for a model without <c>bitonnx.config</c>, whose initializers cannot be told from other constants) and, for gradient
/// symmetricity, the model as a function of its embeddings. Checks before any inference that the model has
/// the probes (<see cref="MissingProbesException"/>) and the P of its run. Dispose to release the embedded model's session.
/// </summary>
public sealed class OnnxModelInputs : IDisposable
{
    private OnnxModelInputs(ModelInputs inputs, OnnxProbeSource probes, OnnxEmbeddedLogits? embedded, string? gradientsSkipped)
    {
        Inputs = inputs;
        Probes = probes;
        Embedded = embedded;
        GradientsSkipped = gradientsSkipped;
    }

    /// <summary>What <see cref="ModelAnalyzer.Analyze"/> takes.</summary>
    public ModelInputs Inputs { get; }

    /// <summary>The probe source (runs at the first probe asked for).</summary>
    public OnnxProbeSource Probes { get; }

    /// <summary>The embedded-input model, when gradient symmetricity can be computed.</summary>
    public OnnxEmbeddedLogits? Embedded { get; }

    /// <summary>Why gradient symmetricity will be missing, when it was asked for but cannot be computed; else null.</summary>
    public string? GradientsSkipped { get; }

    /// <summary>Opens the model; <paramref name="session"/> configures every ONNX Runtime session (threads, level, provider).</summary>
    /// <param name="hookGradients">Makes the backend attribution patching differentiates with, for a model with writable hooks; null: none.</param>
    public static OnnxModelInputs Open(OnnxModelRequest request, AnalysisOptions? options = null, ModelSessionOptions? session = null,
        IProgress<AnalysisProgress>? progress = null, Func<OnnxModel, ModelSession, Interventions.IHookGradients>? hookGradients = null)
    {
        options ??= new AnalysisOptions();
        string name = request.Name ?? Path.GetFileName(request.ModelPath);
        var graph = ModularAdditionGraph.Read(OnnxModel.Load(request.ModelPath), name);
        // Without a config nothing says which initializers are weights (another producer's model): probes alone.
        var weights = graph.Metadata.Config is null ? null : new OnnxWeightSource(graph.Model, name);
        bool hasEmbedWeight = weights?.TryGet(ParameterNames.Embed, out _) == true;
        bool gradients = request.Gradients && options.Parts.HasFlag(AnalysisParts.ClockPizza);
        var layer = AnalysedLayer.Resolve(options.Layer, graph.Blocks, name);
        var splice = SplicedTranscoder.Of(graph.Model);
        var required = ModelAnalyzer.RequiredProbes(ModelAnalyzer.PartsFor(options, splice), layer, hasEmbedWeight, gradients);
        var probes = new OnnxProbeSource(graph, new OnnxProbeOptions { Outputs = required.Keys.ToArray(), Session = session }, progress);
        var missing = required.Where(kv => !probes.Names.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        if (missing.Count > 0) throw new MissingProbesException(name, missing);
        request.Run?.RequireModel(graph.Metadata, name);
        var circuit = request.CircuitPath is { } circuitPath ? CircuitInput.Read(circuitPath, graph.Metadata.Config, name) : null;
        var transcoder = request.TranscoderPath is { } transcoderPath ? TranscoderInput.Read(transcoderPath, request.ModelPath, graph.Metadata, name, splice is not null) : null;

        OnnxEmbeddedLogits? embedded = null;
        string? skipped = null;
        if (gradients)
        {
            if (request.EmbeddedModelPath is { } path)
            {
                embedded = OnnxEmbeddedLogits.FromEmbeddedExport(OnnxModel.Load(path), Path.GetFileName(path), session);
                if (embedded.P != graph.P)
                {
                    embedded.Dispose();
                    throw new AnalysisInputException($"P mismatch: embedded-input model '{path}' has P = {embedded.P}, model '{name}' has P = {graph.P}.");
                }
            }
            else
            {
                try
                {
                    embedded = OnnxEmbeddedLogits.FromTokenModel(graph.Model, name, options: session);
                }
                catch (Exception e) when (e is ModelContractException or ModelSessionException and not ExecutionProviderUnavailableException)
                {
                    skipped = e.Message;
                }
            }
        }
        // The sections that intervene run the model itself: a session only when it has hooks to write.
        var writable = BitOnnx.Onnx.Surgery.WritableHooks.Of(graph.Model).Count > 0 ? ModelSession.FromModel(graph.Model, name, session) : null;
        // The engine that differentiates has no transcoder: a spliced model gets no attribution patching.
        var backward = writable is not null && hookGradients is not null && splice is null ? hookGradients(graph.Model, writable) : null;
        return new OnnxModelInputs(new ModelInputs(name, probes, weights, request.Run, embedded, layer, writable, backward, circuit, transcoder, splice), probes, embedded, skipped);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Embedded?.Dispose();
        Inputs.Session?.Dispose();
    }
}
