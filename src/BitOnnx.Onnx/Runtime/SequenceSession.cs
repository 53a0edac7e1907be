using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Surgery;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Runtime;

/// <summary>
/// An exported sequence model (<see cref="Export.Sequence.SequenceExporter"/>) on ONNX Runtime: tokens [rows, length]
/// (length 1..n_ctx) → logits [rows, length, d_vocab_out] as <see cref="Logits"/>, the <see cref="SequenceLogits"/>
/// that greedy decoding and <see cref="ArithmeticEvaluation"/> call, and the hooked pass of
/// <see cref="IHookedSequenceModel"/> (captures the file's probes, writes its writable hooks). A run that writes nothing
/// runs the graph without its write nodes (the same nodes as an export without them, so the same bits); the graph with
/// them is opened at the first write. Dispose to release the native sessions.
/// </summary>
public sealed class SequenceSession : IHookedSequenceModel, IDisposable
{
    private readonly InferenceSession _clean;
    private readonly Lazy<InferenceSession>? _writable;
    private readonly RunOptions _runOptions = new();
    private bool _disposed;

    private SequenceSession(OnnxModel model, string name, ModelSessionOptions options)
    {
        Name = name;
        Metadata = SequenceExportMetadata.Read(model, name);
        WritableHooks = Surgery.WritableHooks.Of(model);
        var bytes = model.ToBytes();
        _clean = Open(WritableHooks.Count == 0 ? bytes : Surgery.WritableHooks.Strip(model).ToBytes(), name, options);
        if (WritableHooks.Count > 0) _writable = new Lazy<InferenceSession>(() => Open(bytes, name, options), LazyThreadSafetyMode.ExecutionAndPublication);
        Probes = _clean.OutputMetadata.Keys.Where(k => k != ModelContract.Logits).ToList();
    }

    /// <summary>Opens an .onnx file; a file that is not a sequence model is a one-sentence error naming what it is.</summary>
    public static SequenceSession Open(string path, ModelSessionOptions? options = null)
    {
        if (!File.Exists(path)) throw new OnnxFormatException(path, $"ONNX model '{path}' does not exist; give the path of an .onnx file written by bitonnx export.");
        OnnxModel model;
        try
        {
            model = OnnxModel.Load(path);
        }
        catch (OnnxFormatException e)
        {
            throw new OnnxFormatException(path, $"'{Path.GetFileName(path)}' is not a readable ONNX model; give an .onnx file written by bitonnx export.", e);
        }
        return new SequenceSession(model, Path.GetFileName(path), options ?? new ModelSessionOptions());
    }

    /// <summary>Opens a model held in memory (an export that was never saved).</summary>
    public static SequenceSession FromModel(OnnxModel model, string name, ModelSessionOptions? options = null) =>
        new(model, name, options ?? new ModelSessionOptions());

    public string Name { get; }

    public SequenceExportMetadata Metadata { get; }

    public SequenceModelConfig Config => Metadata.Config;

    /// <summary>The hooks this file exposes as outputs (what <see cref="Run"/> can capture).</summary>
    public IReadOnlyList<string> Probes { get; }

    /// <summary>The hooks this file lets a run write.</summary>
    public IReadOnlyList<string> WritableHooks { get; }

    /// <summary>The arithmetic task the model answers ("add5"); a model of another task is a one-sentence error.</summary>
    public ArithmeticTask AsArithmeticTask()
    {
        try
        {
            var task = ArithmeticTask.FromName(Config.Task, ArithmeticEnrichment.None);
            if (Config.ProblemsWith(task) is { Count: > 0 } problems) throw new ModelContractException($"Model '{Name}' does not fit task {task.Name}: {string.Join(" ", problems)}");
            return task;
        }
        catch (ConfigException)
        {
            throw new ModelContractException($"Model '{Name}' answers task '{Config.Task}', which is not an arithmetic task; arithmetic questions go to a model of add, sub or mix.");
        }
    }

    /// <summary>Logits [rows, length, d_vocab_out] of tokens [rows, length], row-major.</summary>
    public float[] Logits(int[] tokens, int rows, int length) => Run(tokens, rows, length, [], []).Logits;

    public SequenceRun Run(int[] tokens, int rows, int length, IReadOnlyList<SequenceHookWrite> writes, IReadOnlyCollection<string> capture)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckTokens(tokens, rows, length);
        var missing = capture.Where(h => h != ModelContract.Logits && !Probes.Contains(h)).ToList();
        if (missing.Count > 0)
            throw new ModelSessionException($"Model '{Name}' does not expose {string.Join(", ", missing.Select(m => $"'{m}'"))}; re-export it with --probes {string.Join(",", missing)} (or --probes all).");
        var feeds = new List<(string Name, OrtValue Value)>
        {
            (ModelContract.Tokens, OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(tokens, t => (long)t), [rows, length])),
        };
        try
        {
            foreach (var group in writes.GroupBy(w => w.Hook)) feeds.AddRange(WriteFeeds(group.Key, group.ToList(), rows, length));
            var outputs = capture.Where(h => h != ModelContract.Logits).Distinct().Prepend(ModelContract.Logits).ToArray();
            var session = writes.Count == 0 ? _clean : _writable!.Value;
            using var values = Guarded(() => session.Run(_runOptions, feeds.Select(f => f.Name).ToArray(), feeds.Select(f => f.Value).ToArray(), outputs));
            var results = values.Select(v => v.GetTensorDataAsSpan<float>().ToArray()).ToArray();
            var hooks = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (int i = 0; i < outputs.Length; i++)
                if (capture.Contains(outputs[i])) hooks[outputs[i]] = results[i];
            return new SequenceRun(results[0], hooks);
        }
        finally
        {
            foreach (var (_, value) in feeds) value.Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _runOptions.Dispose();
        _clean.Dispose();
        if (_writable is { IsValueCreated: true }) _writable.Value.Dispose();
    }

    /// <summary>The writes of one hook as its mask [1, row] and values [rows, row]; where two writes overlap, the later wins.</summary>
    private IEnumerable<(string, OrtValue)> WriteFeeds(string hook, IReadOnlyList<SequenceHookWrite> writes, int rows, int length)
    {
        if (!WritableHooks.Contains(hook))
            throw new ModelSessionException(WritableHooks.Count == 0
                ? $"Model '{Name}' has no writable hooks, so it cannot write '{hook}'; re-export it with --writable {hook} (or --writable all)."
                : $"Model '{Name}' cannot write '{hook}' (it can write {string.Join(", ", WritableHooks)}); re-export it with --writable {hook}.");
        var row = SequenceHooks.RowShape(Config, hook, length);
        int size = row.Size;
        var mask = new bool[size];
        var values = new float[rows * size];
        foreach (var write in writes)
        {
            if (write.Mask.Length != size)
                throw new ModelSessionException($"The write into '{hook}' has a mask of {write.Mask.Length} elements, but one row of it at length {length} has {size} ({row}).");
            bool perRow = write.Values.Length == rows * size;
            if (!perRow && write.Values.Length != size)
                throw new ModelSessionException($"The write into '{hook}' has {write.Values.Length} values; give one row ({size}) or one per batch row ({rows} x {size}).");
            for (int k = 0; k < size; k++)
            {
                if (write.Mask[k] == 0) continue;
                mask[k] = true;
                for (int r = 0; r < rows; r++) values[r * size + k] = write.Values[perRow ? r * size + k : k];
            }
        }
        long[] dims = [.. row.Dims.Select(d => (long)d)];
        yield return (hook + Surgery.WritableHooks.MaskSuffix, OrtValue.CreateTensorValueFromMemory(mask, [1, .. dims]));
        yield return (hook + Surgery.WritableHooks.ValuesSuffix, OrtValue.CreateTensorValueFromMemory(values, [rows, .. dims]));
    }

    private void CheckTokens(int[] tokens, int rows, int length)
    {
        if (length < 1 || length > Config.NCtx)
            throw new ModelSessionException($"Model '{Name}' reads 1 to {Config.NCtx} positions, not {length}.");
        if (rows < 1 || tokens.Length != rows * length)
            throw new ModelSessionException($"Model '{Name}' was given {tokens.Length} tokens for {rows} rows of {length}; give rows x length tokens.");
        for (int i = 0; i < tokens.Length; i++)
            if ((uint)tokens[i] >= (uint)Config.DVocab)
                throw new ModelSessionException($"Model '{Name}': token {tokens[i]} at row {i / length}, position {i % length} is outside 0..{Config.DVocab - 1}.");
    }

    private static InferenceSession Open(byte[] bytes, string name, ModelSessionOptions options)
    {
        using var sessionOptions = SessionDefaults.Create(options);
        try
        {
            return new InferenceSession(bytes, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelSessionException($"ONNX Runtime cannot load model '{name}': {e.Message.ReplaceLineEndings(" ").Trim().TrimEnd('.')}. Re-export it with bitonnx export.", e);
        }
    }

    private T Guarded<T>(Func<T> run)
    {
        try
        {
            return run();
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelSessionException($"ONNX Runtime failed to run model '{Name}': {e.Message.ReplaceLineEndings(" ").Trim().TrimEnd('.')}.", e);
        }
    }
}
