using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Runtime;

/// <summary>
/// THE way to run a modular-addition ONNX model on ONNX Runtime: opens the session with <see cref="SessionDefaults"/>,
/// reads the model's metadata (<see cref="ExportMetadata"/>), checks the tokens, and runs token rows [rows, n_ctx] (the
/// whole P² grid or given rows) in batches, returning logits and any probe by name with its shape. The hot path is
/// OrtValue-based: inputs and outputs are OrtValues over slices of the caller's and the result's managed arrays, so no
/// batch is copied; <see cref="CreateBatch"/> pre-allocates them for repeated calls of one shape. Run may be called from
/// several threads at once (ONNX Runtime's Run is thread-safe). Dispose to release the native session.
/// </summary>
public sealed partial class ModelSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    /// <summary>The file's graph with its writable hooks, opened at the first write; clean runs use the graph without them.</summary>
    private readonly Lazy<InferenceSession>? _writable;
    private readonly ModelInput _input;
    private bool _disposed;

    private ModelSession(OnnxModel model, byte[] bytes, string name, ModelSessionOptions options)
    {
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be positive.");
        Name = name;
        Options = options;
        Metadata = ExportMetadata.Read(model, name);
        RequireNoNaN(model, name);
        WritableHooks = Surgery.WritableHooks.Of(model);
        // A run that writes nothing runs the graph as exported without writable hooks: the same nodes, so the same bits
        // and the same speed; the graph with them is opened only when a run writes.
        _session = OpenSession(WritableHooks.Count == 0 ? bytes : Surgery.WritableHooks.Strip(model).ToBytes(), name, options);
        if (WritableHooks.Count > 0) _writable = new Lazy<InferenceSession>(() => OpenSession(bytes, name, options), LazyThreadSafetyMode.ExecutionAndPublication);
        try
        {
            // W_E comes from our reader of the file: ONNX Runtime drops an initializer no node uses (an embedded export's).
            _input = ModelInput.Read(_session, model, name);
            NCtx = _input.NCtx;
            Outputs = _session.OutputMetadata.Select(o => new ModelValueInfo(o.Key, (TensorElementType)(int)o.Value.ElementDataType, o.Value.Dimensions.ToArray())).ToArray();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static InferenceSession OpenSession(byte[] bytes, string name, ModelSessionOptions options)
    {
        using var sessionOptions = SessionDefaults.Create(options);
        try
        {
            return new InferenceSession(bytes, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelSessionException($"ONNX Runtime cannot load model '{name}': {OneLine(e.Message)}. Re-export it with bitonnx export.", e);
        }
    }

    /// <summary>Opens an .onnx file; the model is named by its file name in errors.</summary>
    public static ModelSession Open(string path, ModelSessionOptions? options = null)
    {
        if (!File.Exists(path)) throw new OnnxFormatException(path, $"ONNX model '{path}' does not exist; give the path of an .onnx file written by bitonnx export.");
        var bytes = File.ReadAllBytes(path);
        return new ModelSession(Parse(bytes, path), bytes, Path.GetFileName(path), options ?? new ModelSessionOptions());
    }

    /// <summary>Opens a model held in memory (an export that was never saved, or a rewritten graph).</summary>
    public static ModelSession FromModel(OnnxModel model, string name, ModelSessionOptions? options = null) =>
        new(model, model.ToBytes(), name, options ?? new ModelSessionOptions());

    /// <summary>Opens serialized model bytes.</summary>
    public static ModelSession FromBytes(byte[] bytes, string name, ModelSessionOptions? options = null) =>
        new(Parse(bytes, name), bytes, name, options ?? new ModelSessionOptions());

    public string Name { get; }

    public ModelSessionOptions Options { get; }

    public ExportMetadata Metadata { get; }

    public int P => Metadata.P;

    /// <summary>Tokens per row ([a, b, =]: 3).</summary>
    public int NCtx { get; }

    /// <summary>What the model takes; Run feeds token rows to any of them (<see cref="ModelInput"/>).</summary>
    public ModelInputKind InputKind => _input.Kind;

    public IReadOnlyList<ModelValueInfo> Outputs { get; }

    public IReadOnlyList<string> OutputNames => Outputs.Select(o => o.Name).ToArray();

    /// <summary>Token ids are 0..DVocab−1: the addends 0..P−1 and '=' (P).</summary>
    public int DVocab => Metadata.Config?.DVocab ?? P + 1;

    /// <summary>Tokens [P², n_ctx] of every pair: row a·P + b holds [a, b, =] (the order of Core's ModularAdditionData).</summary>
    public static long[] GridTokens(int p)
    {
        var tokens = new long[p * p * 3];
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++)
            {
                int row = (a * p + b) * 3;
                tokens[row] = a;
                tokens[row + 1] = b;
                tokens[row + 2] = p;
            }
        return tokens;
    }

    /// <summary>Runs all P² pairs (rows a·P + b); <paramref name="outputs"/> null: logits only.</summary>
    public IReadOnlyDictionary<string, ModelOutput> RunGrid(IReadOnlyCollection<string>? outputs = null, IProgress<double>? progress = null)
    {
        RequireNCtx(3, "the grid of pairs");
        return Run(GridTokens(P), outputs, progress);
    }

    /// <summary>
    /// Runs token rows [rows, n_ctx] in batches of <see cref="ModelSessionOptions.BatchSize"/> and returns each requested
    /// output over all rows (<paramref name="outputs"/> null: logits only). Progress reports the fraction of rows done.
    /// </summary>
    public IReadOnlyDictionary<string, ModelOutput> Run(long[] tokens, IReadOnlyCollection<string>? outputs = null, IProgress<double>? progress = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireTokenRows();
        var names = ResolveOutputs(outputs);
        CheckTokens(tokens);
        int rows = tokens.Length / NCtx;
        var infos = names.Select(n => Outputs.First(o => o.Name == n)).ToArray();
        // Outputs with a known row size and float elements are written by ONNX Runtime straight into the result.
        bool direct = infos.All(i => i.FixedRowSize is not null && i.ElementType == TensorElementType.Float);
        var data = new float[names.Length][];
        var shapes = new int[names.Length][];
        for (int i = 0; i < names.Length && direct; i++)
        {
            data[i] = new float[checked(rows * infos[i].FixedRowSize!.Value)];
            shapes[i] = infos[i].Dimensions.Select((d, axis) => axis == 0 ? rows : d).ToArray();
        }
        progress?.Report(0);
        for (int start = 0; start < rows; start += Options.BatchSize)
        {
            int count = Math.Min(Options.BatchSize, rows - start);
            var inputs = _input.Feed(tokens, start, count);
            try
            {
                if (direct) RunInto(inputs, names, infos, data, start, count);
                else RunAndCopy(inputs, names, data, shapes, start, count, rows);
            }
            finally
            {
                foreach (var input in inputs) input.Dispose();
            }
            progress?.Report((double)(start + count) / rows);
        }
        var result = new Dictionary<string, ModelOutput>(StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++) result[names[i]] = new ModelOutput(names[i], data[i] ?? [], shapes[i] ?? [0]);
        return result;
    }

    /// <summary>
    /// A pre-allocated batch of <paramref name="rows"/> token rows with its outputs (null: logits), for repeated calls of
    /// one shape. Every output must have fixed non-batch dimensions and float elements.
    /// </summary>
    public PinnedBatch CreateBatch(int rows, IReadOnlyCollection<string>? outputs = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        if (_input.Kind != ModelInputKind.Tokens)
            throw new ModelSessionException($"Model '{Name}' takes {_input.Kind.ToString().ToLowerInvariant()} inputs; a pre-allocated batch feeds token models only: use Run.");
        var infos = ResolveOutputs(outputs).Select(n => Outputs.First(o => o.Name == n)).ToArray();
        var unfit = infos.FirstOrDefault(i => i.FixedRowSize is null || i.ElementType != TensorElementType.Float);
        if (unfit is not null)
            throw new ModelSessionException($"Model '{Name}': output '{unfit.Name}' ({unfit.ElementType}, dims [{string.Join(", ", unfit.Dimensions)}]) has no fixed float shape per row; use Run for it.");
        return new PinnedBatch(this, _session, _runOptions, ModelContract.Tokens, rows, infos);
    }

    internal void CheckTokensOf(long[] tokens) => CheckTokens(tokens);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _runOptions.Dispose();
        _session?.Dispose();
        if (_writable is { IsValueCreated: true }) _writable.Value.Dispose();
    }

    private void RunInto(OrtValue[] inputs, string[] names, ModelValueInfo[] infos, float[][] data, int start, int count)
    {
        var values = new OrtValue[names.Length];
        try
        {
            for (int i = 0; i < names.Length; i++)
            {
                int rowSize = infos[i].FixedRowSize!.Value;
                var shape = infos[i].Dimensions.Select((d, axis) => axis == 0 ? (long)count : d).ToArray();
                values[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data[i].AsMemory(start * rowSize, count * rowSize), shape);
            }
            Guarded(() => _session.Run(_runOptions, _input.Names, inputs, names, values));
        }
        finally
        {
            foreach (var v in values) v?.Dispose();
        }
    }

    private void RunAndCopy(OrtValue[] inputs, string[] names, float[][] data, int[][] shapes, int start, int count, int rows) =>
        RunAndCopy(_session, _input.Names, inputs, names, data, shapes, start, count, rows);

    private void RunAndCopy(InferenceSession session, IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs, string[] names,
        float[][] data, int[][] shapes, int start, int count, int rows)
    {
        using var values = Guarded(() => session.Run(_runOptions, inputNames, inputs, names));
        int i = 0;
        foreach (var value in values)
        {
            var info = value.GetTensorTypeAndShape();
            if (info.Shape.Length == 0 || info.Shape[0] != count)
                throw new ModelSessionException($"Model '{Name}': output '{names[i]}' has shape [{string.Join(", ", info.Shape)}] for a batch of {count}; its first axis must be the batch. Re-export it with bitonnx export.");
            long perRow = info.ElementCount / count;
            if (data[i] is null)
            {
                shapes[i] = info.Shape.Select((d, axis) => axis == 0 ? rows : checked((int)d)).ToArray();
                data[i] = new float[checked(rows * perRow)];
            }
            else if (perRow * rows != data[i].LongLength)
            {
                throw new ModelSessionException($"Model '{Name}': output '{names[i]}' changed its row size between batches ([{string.Join(", ", info.Shape)}]).");
            }
            var target = data[i].AsSpan((int)(start * perRow), (int)(count * perRow));
            switch ((TensorElementType)(int)info.ElementDataType)
            {
                case TensorElementType.Float:
                    value.GetTensorDataAsSpan<float>().CopyTo(target);
                    break;
                case TensorElementType.Double:
                    var source = value.GetTensorDataAsSpan<double>();
                    for (int k = 0; k < target.Length; k++) target[k] = (float)source[k];
                    break;
                default:
                    throw new ModelSessionException($"Model '{Name}': output '{names[i]}' holds {info.ElementDataType} values; logits and probes must be float or double.");
            }
            i++;
        }
    }

    private string[] ResolveOutputs(IReadOnlyCollection<string>? outputs)
    {
        var names = (outputs ?? [ModelContract.Logits]).Distinct(StringComparer.Ordinal).ToArray();
        var missing = names.Where(n => Outputs.All(o => o.Name != n)).ToArray();
        if (missing.Length > 0)
        {
            throw new ModelSessionException(
                $"Model '{Name}' has no output {string.Join(", ", missing.Select(m => $"'{m}'"))} (it has: {string.Join(", ", OutputNames)}); " +
                "export it with the probes you need (bitonnx export ... --probes all).");
        }
        if (names.Length == 0) throw new ModelSessionException("Ask for at least one output (logits, or a probe name).");
        return names;
    }

    /// <summary>Every token must be an id the embedding has (0..DVocab−1) and the rows whole, so ONNX Runtime never reads past W_E.</summary>
    private void CheckTokens(long[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Length == 0 || tokens.Length % NCtx != 0)
            throw new ModelSessionException($"Model '{Name}' takes rows of {NCtx} tokens ([a, b, =]); {tokens.Length} tokens are not a whole number of rows. Give rows × {NCtx} tokens.");
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((ulong)tokens[i] >= (ulong)DVocab)
            {
                throw new ModelSessionException(
                    $"Model '{Name}': token {tokens[i]} at row {i / NCtx}, position {i % NCtx} is outside 0..{DVocab - 1} (addends 0..{P - 1}, '=' is {P}). Give tokens of this model's P = {P}.");
            }
            // The pair signature builds [a, b, =] itself: a row that asks for anything else at the last position cannot be fed.
            if (_input.Kind == ModelInputKind.Pair && i % NCtx == NCtx - 1 && tokens[i] != P)
                throw new ModelSessionException($"Model '{Name}' takes pairs (A, B) and adds '=' itself; row {i / NCtx} has {tokens[i]} where '=' ({P}) belongs.");
        }
    }

    private void RequireTokenRows()
    {
        if (!_input.TakesTokens)
            throw new ModelContractException($"Model '{Name}' takes token embeddings and does not carry embed.W_E to look tokens up in; re-export it with bitonnx export --embedded-input, which stores W_E.");
    }

    private void RequireNCtx(int nCtx, string what)
    {
        if (NCtx != nCtx) throw new ModelSessionException($"Model '{Name}' takes rows of {NCtx} tokens; {what} needs rows of {nCtx} ([a, b, =]).");
    }

    internal T Guarded<T>(Func<T> run)
    {
        try
        {
            return run();
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelSessionException($"ONNX Runtime failed to run model '{Name}': {OneLine(e.Message)}.", e);
        }
    }

    internal void Guarded(Action run) => Guarded(() =>
    {
        run();
        return 0;
    });

    private static string OneLine(string message) => string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim().TrimEnd('.');

    /// <summary>
    /// A weight that is NaN makes every output garbage that ONNX Runtime and the engine would agree on: refused, naming it.
    /// (Infinities are not refused: a causal mask is −∞ by design.)
    /// </summary>
    private static void RequireNoNaN(OnnxModel model, string name)
    {
        foreach (var tensor in model.Graph.Initializer.Where(t => OnnxTensor.ElementTypeOf(t) is TensorElementType.Float or TensorElementType.Double))
        {
            var nan = OnnxTensor.ElementTypeOf(tensor) == TensorElementType.Float
                ? Array.FindIndex(OnnxTensor.ToArray<float>(tensor), float.IsNaN)
                : Array.FindIndex(OnnxTensor.ToArray<double>(tensor), double.IsNaN);
            if (nan >= 0)
                throw new OnnxFormatException(name, $"Model '{name}': initializer '{tensor.Name}' holds NaN at element {nan}; a model with non-finite weights cannot be used. Re-export it from a good checkpoint.");
        }
    }

    private static OnnxModel Parse(byte[] bytes, string name)
    {
        try
        {
            return OnnxModel.FromBytes(bytes);
        }
        catch (OnnxFormatException e)
        {
            throw new OnnxFormatException(name, $"'{name}' is not a readable ONNX model ({OneLine(e.Message)}); give an .onnx file written by bitonnx export.", e);
        }
    }
}
