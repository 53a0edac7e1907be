using BitOnnx.Core.Interventions;
using BitOnnx.Onnx.Contract;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Runtime;

public sealed partial class ModelSession
{
    /// <summary>The hooks this model lets a run write (exported with --writable); empty when none.</summary>
    public IReadOnlyList<string> WritableHooks { get; }

    /// <summary>
    /// Interventions as writes over these token rows: zero, given values, and the clean mean or another row's clean value,
    /// read from the model's own probe of the hook (a mean or a resample needs the hook exported as a probe).
    /// </summary>
    public IReadOnlyList<HookWrite> Resolve(long[] tokens, IEnumerable<Intervention> interventions, long seed = 0)
    {
        var config = Metadata.Config
            ?? throw new ModelContractException($"Model '{Name}' carries no bitonnx config, so its hooks' shapes are unknown; re-export it with bitonnx export --writable all.");
        CheckTokens(tokens);
        var list = interventions.ToList();
        foreach (var intervention in list) RequireWritable(intervention.Hook);
        // One clean run per hook, however many interventions on it need its values.
        var clean = new Dictionary<string, float[]>(StringComparer.Ordinal);
        return HookWrites.Resolve(config, list, tokens.Length / NCtx, hook =>
        {
            if (clean.TryGetValue(hook, out var values)) return values;
            if (Outputs.All(o => o.Name != hook))
                throw new ModelContractException($"Model '{Name}': a mean or resample of '{hook}' needs its clean values, and '{hook}' is not an output; re-export it with --probes all.");
            return clean[hook] = Run(tokens, [hook])[hook].Data;
        }, seed);
    }

    /// <summary>Runs token rows with <paramref name="writes"/> applied (<see cref="Run(long[], IReadOnlyList{IReadOnlyList{HookWrite}}, IReadOnlyCollection{string}, IProgress{double})"/> with one variant).</summary>
    public IReadOnlyDictionary<string, ModelOutput> Run(long[] tokens, IReadOnlyList<HookWrite> writes, IReadOnlyCollection<string>? outputs = null) =>
        Run(tokens, [writes], outputs)[0];

    /// <summary>
    /// Runs the same token rows once per variant, each variant a set of writes, and returns each variant's outputs.
    /// Variants are stacked along the batch, so many small variants share each ONNX Runtime call: a whole ablation table
    /// is a few calls of <see cref="ModelSessionOptions.BatchSize"/> rows, not one call per component.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, ModelOutput>> Run(long[] tokens, IReadOnlyList<IReadOnlyList<HookWrite>> variants,
        IReadOnlyCollection<string>? outputs = null, IProgress<double>? progress = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireTokenRows();
        CheckTokens(tokens);
        var names = ResolveOutputs(outputs);
        var hooks = variants.SelectMany(v => v).Select(w => w.Layout).DistinctBy(l => l.Hook).ToList();
        foreach (var hook in hooks) RequireWritable(hook.Hook);
        int rows = tokens.Length / NCtx, total = rows * variants.Count;
        var session = _writable?.Value ?? _session;
        var inputNames = _input.Names.Concat(hooks.SelectMany(h => new[] { h.Hook + Surgery.WritableHooks.MaskSuffix, h.Hook + Surgery.WritableHooks.ValuesSuffix })).ToArray();
        var element = Metadata.Precision == "double" ? TensorElementType.Double : TensorElementType.Float;
        var results = variants.Select(_ => new float[names.Length][]).ToArray();
        var shapes = variants.Select(_ => new int[names.Length][]).ToArray();
        progress?.Report(0);
        for (var start = 0; start < total; start += Options.BatchSize)
        {
            var count = Math.Min(Options.BatchSize, total - start);
            var stacked = new long[count * NCtx];
            for (var i = 0; i < count; i++) tokens.AsSpan((start + i) % rows * NCtx, NCtx).CopyTo(stacked.AsSpan(i * NCtx));
            var feeds = _input.Feed(stacked, 0, count).ToList();
            try
            {
                foreach (var hook in hooks) feeds.AddRange(WriteFeeds(hook, variants, rows, start, count, element));
                var data = new float[names.Length][];
                var batchShapes = new int[names.Length][];
                RunAndCopy(session, inputNames, feeds, names, data, batchShapes, 0, count, count);
                Scatter(data, batchShapes, results, shapes, rows, start, count);
            }
            finally
            {
                foreach (var feed in feeds) feed.Dispose();
            }
            progress?.Report((double)(start + count) / total);
        }
        return results.Select((data, v) => (IReadOnlyDictionary<string, ModelOutput>)names.Select((n, i) => new ModelOutput(n, data[i], shapes[v][i]))
            .ToDictionary(o => o.Name, StringComparer.Ordinal)).ToList();
    }

    private void RequireWritable(string hook)
    {
        if (WritableHooks.Contains(hook)) return;
        throw new InterventionException(WritableHooks.Count == 0
            ? $"Model '{Name}' was exported without writable hooks, so it cannot write '{hook}'; re-export it with bitonnx export ... --writable all."
            : $"Model '{Name}' cannot write '{hook}': its writable hooks are {string.Join(", ", WritableHooks)}.");
    }

    /// <summary>The mask (bool) and values of one hook for stacked rows start..start+count: the variant's row, or nothing written.</summary>
    private static OrtValue[] WriteFeeds(HookLayout hook, IReadOnlyList<IReadOnlyList<HookWrite>> variants, int rows, int start, int count, TensorElementType element)
    {
        var rowSize = hook.RowSize;
        var mask = new bool[count * rowSize];
        var values = new float[count * rowSize];
        for (var i = 0; i < count; i++)
        {
            var (variant, row) = Math.DivRem(start + i, rows);
            if (variants[variant].FirstOrDefault(w => w.Hook == hook.Hook) is not { } write) continue;
            for (var j = 0; j < rowSize; j++) mask[i * rowSize + j] = write.Mask[j] != 0;
            write.Values.AsSpan(row * rowSize, rowSize).CopyTo(values.AsSpan(i * rowSize, rowSize));
        }
        long[] shape = [count, .. hook.Dims.Select(d => (long)d)];
        return
        [
            OrtValue.CreateTensorValueFromMemory(mask, shape),
            element == TensorElementType.Double
                ? OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(values, v => (double)v), shape)
                : OrtValue.CreateTensorValueFromMemory(values, shape),
        ];
    }

    /// <summary>Copies each stacked row's outputs to its variant's arrays.</summary>
    private static void Scatter(float[][] data, int[][] batchShapes, float[][][] results, int[][][] shapes, int rows, int start, int count)
    {
        for (var o = 0; o < data.Length; o++)
        {
            var perRow = data[o].Length / count;
            for (var i = 0; i < count; i++)
            {
                var (variant, row) = Math.DivRem(start + i, rows);
                results[variant][o] ??= new float[rows * perRow];
                shapes[variant][o] ??= batchShapes[o].Select((d, axis) => axis == 0 ? rows : d).ToArray();
                data[o].AsSpan(i * perRow, perRow).CopyTo(results[variant][o].AsSpan(row * perRow, perRow));
            }
        }
    }
}
