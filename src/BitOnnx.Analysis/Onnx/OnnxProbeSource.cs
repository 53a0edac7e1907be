using System.Diagnostics;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Analysis.Onnx;

/// <summary>Settings of <see cref="OnnxProbeSource"/>.</summary>
public sealed record OnnxProbeOptions
{
    /// <summary>Outputs to fetch (null: every output the model declares). Names the model lacks are left out of <see cref="IProbeSource.Names"/>.</summary>
    public IReadOnlyCollection<string>? Outputs { get; init; }

    /// <summary>Inputs per ONNX Runtime call; the full grid is P² rows.</summary>
    public int BatchSize { get; init; } = 2048;

    /// <summary>Threads, optimization level and provider of the session; null: <see cref="ModelSessionOptions"/>'s defaults. Its batch size is <see cref="BatchSize"/>.</summary>
    public ModelSessionOptions? Session { get; init; }
}

/// <summary>
/// Probes of an ONNX model over all P² inputs: runs rows a·P + b = [a, b, P] through <see cref="ModelSession"/> in batches and serves
/// its outputs by name. <see cref="IProbeSource.Names"/> is known without running (the declared outputs), so a missing
/// probe is reported before any inference; the model runs once, at the first <see cref="Get"/> or <see cref="Run"/>,
/// and its session is released right after.
/// </summary>
public sealed class OnnxProbeSource : IProbeSource
{
    /// <summary>Stage name in <see cref="AnalysisProgress"/> reports.</summary>
    public const string ProgressStage = "probing";

    private readonly object _gate = new();
    private readonly string[] _names;
    private readonly OnnxProbeOptions _options;
    private readonly IProgress<AnalysisProgress>? _progress;
    private Dictionary<string, ProbeTensor>? _values;

    /// <summary>Prepares the source; nothing runs until the first probe is asked for.</summary>
    public OnnxProbeSource(ModularAdditionGraph graph, OnnxProbeOptions? options = null, IProgress<AnalysisProgress>? progress = null)
    {
        Graph = graph;
        _options = options ?? new OnnxProbeOptions();
        if (_options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.BatchSize, "BatchSize must be positive.");
        _progress = progress;
        var declared = graph.Model.Outputs.Select(o => o.Name);
        _names = (_options.Outputs is { } wanted ? declared.Where(wanted.Contains) : declared).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Opens an .onnx file; the model is named by its file name unless <paramref name="name"/> is given.</summary>
    public static OnnxProbeSource Open(string path, string? name = null, OnnxProbeOptions? options = null, IProgress<AnalysisProgress>? progress = null) =>
        new(ModularAdditionGraph.Read(OnnxModel.Load(path), name ?? Path.GetFileName(path)), options, progress);

    /// <summary>The model and its P.</summary>
    public ModularAdditionGraph Graph { get; }

    /// <inheritdoc />
    public int P => Graph.P;

    /// <inheritdoc />
    public IReadOnlyCollection<string> Names => _names;

    /// <summary>Wall time of the inference, once it has run.</summary>
    public TimeSpan? InferenceTime { get; private set; }

    /// <inheritdoc />
    public ProbeTensor Get(string name)
    {
        if (!_names.Contains(name, StringComparer.Ordinal))
            throw new MissingProbesException(Graph.Name, name);
        return Run()[name];
    }

    /// <summary>Runs the model over all P² inputs (once; later calls return the same tensors).</summary>
    public IReadOnlyDictionary<string, ProbeTensor> Run()
    {
        lock (_gate)
        {
            if (_values is null)
            {
                var watch = Stopwatch.StartNew();
                _values = Infer();
                InferenceTime = watch.Elapsed;
            }
            return _values;
        }
    }

    /// <summary>Tokens [P², 3] of the full grid: row a·P + b holds [a, b, P].</summary>
    public static long[] GridTokens(int p) => ModelSession.GridTokens(p);

    private Dictionary<string, ProbeTensor> Infer()
    {
        var settings = (_options.Session ?? new ModelSessionOptions()) with { BatchSize = _options.BatchSize };
        var result = new Dictionary<string, ProbeTensor>(StringComparer.Ordinal);
        using var session = ModelSession.FromModel(Graph.Model, Graph.Name, settings);
        var progress = _progress is null ? null : new Forward(f => _progress.Report(new AnalysisProgress(ProgressStage, f)));
        foreach (var output in session.Run(GridTokens(P), _names, progress).Values)
            result[output.Name] = new ProbeTensor(output.Name, output.Data, output.Shape).Validated();
        return result;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Forward(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
