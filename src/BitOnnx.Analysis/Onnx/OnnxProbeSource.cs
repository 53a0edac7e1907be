using System.Diagnostics;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Onnx;
using BitOnnx.Runtime;
using OrtElement = BitOnnx.Runtime.Tensors.TensorElementType;

namespace BitOnnx.Analysis.Onnx;

/// <summary>Settings of <see cref="OnnxProbeSource"/>.</summary>
public sealed record OnnxProbeOptions
{
    /// <summary>Outputs to fetch (null: every output the model declares). Names the model lacks are left out of <see cref="IProbeSource.Names"/>.</summary>
    public IReadOnlyCollection<string>? Outputs { get; init; }

    /// <summary>Inputs per ONNX Runtime call; the full grid is P² rows.</summary>
    public int BatchSize { get; init; } = 2048;

    /// <summary>Session options (not disposed here); null: <see cref="ModularAdditionGraph.DefaultSessionOptions"/>.</summary>
    public SessionOptions? Session { get; init; }
}

/// <summary>
/// Probes of an ONNX model over all P² inputs: runs rows a·P + b = [a, b, P] through ONNX Runtime in batches and serves
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
            throw new KeyNotFoundException($"Model '{Graph.Name}' has no output '{name}'; it has: {string.Join(", ", _names)}.");
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
    public static long[] GridTokens(int p)
    {
        var tokens = new long[p * p * ModularAdditionGraph.NCtx];
        for (int a = 0; a < p; a++)
        for (int b = 0; b < p; b++)
        {
            int row = (a * p + b) * ModularAdditionGraph.NCtx;
            tokens[row] = a;
            tokens[row + 1] = b;
            tokens[row + 2] = p;
        }
        return tokens;
    }

    private Dictionary<string, ProbeTensor> Infer()
    {
        int p = P, rows = p * p, nCtx = ModularAdditionGraph.NCtx;
        var tokens = GridTokens(p);
        var data = new float[_names.Length][];
        var shapes = new int[_names.Length][];
        var ownOptions = _options.Session is null ? ModularAdditionGraph.DefaultSessionOptions() : null;
        try
        {
            using var session = new InferenceSession(Graph.Model.ToBytes(), _options.Session ?? ownOptions);
            _progress?.Report(new AnalysisProgress(ProgressStage, 0));
            for (int start = 0; start < rows; start += _options.BatchSize)
            {
                int count = Math.Min(_options.BatchSize, rows - start);
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                    tokens.AsMemory(start * nCtx, count * nCtx), [count, nCtx]);
                using var outputs = session.Run(null, [ModularAdditionGraph.TokensInput], [input], _names);
                int i = 0;
                foreach (var value in outputs)
                {
                    Append(value, _names[i], start, count, rows, ref data[i], ref shapes[i]);
                    i++;
                }
                _progress?.Report(new AnalysisProgress(ProgressStage, (double)(start + count) / rows));
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"ONNX Runtime could not run model '{Graph.Name}': {e.Message}", e);
        }
        finally
        {
            ownOptions?.Dispose();
        }
        var result = new Dictionary<string, ProbeTensor>(StringComparer.Ordinal);
        for (int i = 0; i < _names.Length; i++) result[_names[i]] = new ProbeTensor(_names[i], data[i], shapes[i]).Validated();
        return result;
    }

    /// <summary>Copies one batch of an output into the full-grid array (allocated at the first batch, once its row size is known).</summary>
    private static void Append(OrtValue value, string name, int start, int count, int rows, ref float[] data, ref int[] shape)
    {
        var info = value.GetTensorTypeAndShape();
        if (info.Shape.Length == 0 || info.Shape[0] != count)
            throw new InvalidDataException($"Output '{name}' has shape [{string.Join(", ", info.Shape)}] for a batch of {count}; its first axis must be the batch.");
        long perRow = info.ElementCount / count;
        if (data is null)
        {
            shape = info.Shape.Select((d, axis) => axis == 0 ? rows : checked((int)d)).ToArray();
            data = new float[checked(rows * perRow)];
        }
        else if (perRow * rows != data.LongLength)
        {
            throw new InvalidDataException($"Output '{name}' changed its row size between batches ([{string.Join(", ", info.Shape)}]).");
        }
        var target = data.AsSpan((int)(start * perRow), (int)(count * perRow));
        switch (info.ElementDataType)
        {
            case OrtElement.Float:
                value.GetTensorDataAsSpan<float>().CopyTo(target);
                break;
            case OrtElement.Double:
                var source = value.GetTensorDataAsSpan<double>();
                for (int k = 0; k < target.Length; k++) target[k] = (float)source[k];
                break;
            default:
                throw new InvalidDataException($"Output '{name}' holds {info.ElementDataType} values; probes must be float or double.");
        }
    }
}
