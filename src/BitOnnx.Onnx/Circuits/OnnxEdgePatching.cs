using BitOnnx.Core.Circuits;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Onnx.Surgery;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Circuits;

/// <summary>
/// Edge patching on ONNX Runtime for one batch of rows: one session of <see cref="EdgePatchingSurgery"/>'s graph, its
/// clean pass (every mask 0), and the corrupted senders it reads, made once: resample runs the same graph with every
/// mask 0 on a seeded other row's tokens for each row (<see cref="HookWrites.OtherRows"/>, the engine's draw); mean
/// takes each sender's mean over the clean pass's rows at each position (sums in double, rounded once, as the engine).
/// The corrupted senders come from a separate pass rather than from corrupted rows in the same batch: they do not
/// depend on the masks, so a search that runs the graph once per candidate computes them once instead of once per
/// candidate, and the batch stays the rows the metric is over. Every run then feeds the same tokens and corrupted
/// values (tensors made once over pinned arrays) and only the mask [edges] changes.
/// </summary>
public sealed class OnnxEdgePatching : IEdgePatching, IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly OrtValue[] _inputs;
    private readonly float[] _mask;
    private readonly IReadOnlyList<string> _hooks;

    /// <param name="model">An export of a modular-addition model (its config and folded weights are read).</param>
    /// <param name="name">The model's name in messages.</param>
    /// <param name="tokens">[rows, nCtx] token rows, [a, b, =] each.</param>
    /// <param name="seed">Seed of the resample's draw of other rows.</param>
    /// <param name="mlpGroups">Each MLP split into this many groups of neurons, each its own sender and receiver.</param>
    /// <param name="options">Threads and provider of the session (its batch size is not used: every run is all the rows).</param>
    public OnnxEdgePatching(OnnxModel model, string name, int[] tokens, Corruption corruption, long seed = 0, int mlpGroups = 1,
        ModelSessionOptions? options = null)
        : this(EdgePatchingSurgery.Apply(model, name, mlpGroups, out var graph), graph, name, tokens, corruption, seed, options)
    {
    }

    /// <param name="model">An export of a modular-addition model (its config and folded weights are read).</param>
    /// <param name="name">The model's name in messages.</param>
    /// <param name="tokens">[rows, nCtx] token rows, [a, b, =] each.</param>
    /// <param name="partition">The groups each MLP's neurons are split into, each its own sender and receiver.</param>
    /// <param name="seed">Seed of the resample's draw of other rows.</param>
    /// <param name="options">Threads and provider of the session (its batch size is not used: every run is all the rows).</param>
    public OnnxEdgePatching(OnnxModel model, string name, int[] tokens, Corruption corruption, MlpPartition partition, long seed = 0,
        ModelSessionOptions? options = null)
        : this(EdgePatchingSurgery.Apply(model, name, partition, out var graph), graph, name, tokens, corruption, seed, options)
    {
    }

    private OnnxEdgePatching(OnnxModel patched, CircuitGraph graph, string name, int[] tokens, Corruption corruption, long seed, ModelSessionOptions? options)
    {
        Model = patched;
        var mlpGroups = graph.MlpGroups;
        Graph = graph;
        Config = graph.Config;
        var t = Config.NCtx;
        if (tokens.Length == 0 || tokens.Length % t != 0)
            throw new ArgumentException($"Token rows are [rows, {t}]; {tokens.Length} values are not.", nameof(tokens));
        Tokens = tokens;
        Rows = tokens.Length / t;
        Corruption = corruption;
        Seed = seed;
        _hooks = EdgePatchingSurgery.SenderHooks(Config, mlpGroups);
        using (var sessionOptions = SessionDefaults.Create(options ?? new ModelSessionOptions()))
        {
            try
            {
                _session = new InferenceSession(Model.ToBytes(), sessionOptions);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelSessionException($"ONNX Runtime cannot load the edge-patched graph of model '{name}': {e.Message.ReplaceLineEndings(" ")}.", e);
            }
        }
        _inputNames = [ModelContract.Tokens, EdgePatchingSurgery.EdgeMask, .. _hooks.Select(EdgePatchingSurgery.CorruptedName)];
        _inputs = new OrtValue[_inputNames.Length];
        _mask = new float[graph.Edges.Count];
        try
        {
            _inputs[1] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _mask.AsMemory(), [_mask.Length]);
            for (var i = 0; i < _hooks.Count; i++) _inputs[2 + i] = Tensor(new float[Rows * RowSize(_hooks[i])], _hooks[i]);
            SetTokens(tokens);
            var clean = Run(withSenders: true);
            CleanLogits = clean.Logits;
            Dictionary<string, float[]> corrupted;
            if (corruption == Corruption.Resample)
            {
                var sources = HookWrites.OtherRows(Rows, seed);
                var other = new int[tokens.Length];
                for (var r = 0; r < Rows; r++) tokens.AsSpan(sources[r] * t, t).CopyTo(other.AsSpan(r * t));
                CorruptTokens = other;
                SetTokens(other);
                corrupted = Run(withSenders: true).Senders;
                SetTokens(tokens);
            }
            else
            {
                corrupted = clean.Senders.ToDictionary(s => s.Key, s => Means(s.Value, Rows));
            }
            for (var i = 0; i < _hooks.Count; i++)
            {
                _inputs[2 + i].Dispose();
                _inputs[2 + i] = Tensor(corrupted[_hooks[i]], _hooks[i]);
            }
            CorruptedLogits = Logits(Enumerable.Repeat(1f, _mask.Length).ToArray());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The edge-patched graph the session runs.</summary>
    public OnnxModel Model { get; }

    public TransformerConfig Config { get; }
    public CircuitGraph Graph { get; }
    public Corruption Corruption { get; }
    public long Seed { get; }
    public int Rows { get; }

    /// <summary>[rows, nCtx]</summary>
    public int[] Tokens { get; }

    /// <summary>The resample's corrupted tokens [rows, nCtx] (each row another row's); null for mean ablation.</summary>
    public int[]? CorruptTokens { get; private set; }

    /// <summary>[rows, P] with every mask 0.</summary>
    public float[] CleanLogits { get; }

    /// <summary>[rows, P] with every mask 1.</summary>
    public float[] CorruptedLogits { get; }

    /// <summary>Each row's right answer, (a + b) mod P.</summary>
    public int[] Targets => Enumerable.Range(0, Rows).Select(r => (Tokens[r * Config.NCtx] + Tokens[r * Config.NCtx + 1]) % Config.P).ToArray();

    public LogitMetric Metric(CircuitMetric metric) => metric == CircuitMetric.KlDivergence
        ? LogitMetric.KlDivergence(CleanLogits, Config.DVocabOut)
        : LogitMetric.CrossEntropy(Targets, Config.DVocabOut);

    /// <summary>A run with every edge's mask at <paramref name="alpha"/>, each call of its logits one pass of the session.</summary>
    public IEdgePatchedRun NewRun(float alpha = 0) => new OnnxEdgePatchedRun(this, alpha);

    /// <summary>[rows, P]: the logits with edge e's mask <paramref name="mask"/>[e] (0 clean, 1 corrupted), one pass.</summary>
    public float[] Logits(ReadOnlySpan<float> mask)
    {
        if (mask.Length != _mask.Length) throw new ArgumentException($"The graph has {_mask.Length} edges; {mask.Length} masks were given.", nameof(mask));
        foreach (var a in mask)
            if (!float.IsFinite(a)) throw new ArgumentOutOfRangeException(nameof(mask), a, "An edge's mask is a finite number: 0 clean, 1 corrupted.");
        mask.CopyTo(_mask);
        return Run(withSenders: false).Logits;
    }

    public void Dispose()
    {
        foreach (var value in _inputs) value?.Dispose();
        _runOptions.Dispose();
        _session?.Dispose();
    }

    private (float[] Logits, Dictionary<string, float[]> Senders) Run(bool withSenders)
    {
        string[] outputs = withSenders ? [HookNames.Logits, .. _hooks.Select(EdgePatchingSurgery.SenderName)] : [HookNames.Logits];
        using var values = _session.Run(_runOptions, _inputNames, _inputs, outputs);
        var logits = values[0].GetTensorDataAsSpan<float>().ToArray();
        var senders = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var i = 1; i < outputs.Length; i++) senders[_hooks[i - 1]] = values[i].GetTensorDataAsSpan<float>().ToArray();
        return (logits, senders);
    }

    private void SetTokens(int[] tokens)
    {
        _inputs[0]?.Dispose();
        _inputs[0] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tokens.Select(v => (long)v).ToArray().AsMemory(), [Rows, Config.NCtx]);
    }

    private int RowSize(string hook) => EdgePatchingSurgery.RowShape(Config, hook).Aggregate(1, (a, b) => a * b);

    private OrtValue Tensor(float[] values, string hook) =>
        OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, values.AsMemory(), [Rows, .. EdgePatchingSurgery.RowShape(Config, hook).Select(s => (long)s)]);

    /// <summary>Every value replaced by its mean over the rows at its place in the row (sums in double, rounded once).</summary>
    private static float[] Means(float[] values, int rows)
    {
        var rowSize = values.Length / rows;
        var sums = new double[rowSize];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < rowSize; i++) sums[i] += values[r * rowSize + i];
        var mean = new float[values.Length];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < rowSize; i++) mean[r * rowSize + i] = (float)(sums[i] / rows);
        return mean;
    }
}

/// <summary>
/// The masks of one <see cref="OnnxEdgePatching"/> run; <see cref="Logits"/> runs the session when a mask changed since
/// the last call (the whole pass: ONNX Runtime recomputes every node, unlike the engine's run, which recomputes only
/// what the change reaches).
/// </summary>
internal sealed class OnnxEdgePatchedRun : IEdgePatchedRun
{
    private readonly OnnxEdgePatching _patching;
    private readonly float[] _alpha;
    private float[]? _logits;

    public OnnxEdgePatchedRun(OnnxEdgePatching patching, float alpha)
    {
        if (!float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "An edge's mask is a finite number: 0 clean, 1 corrupted.");
        _patching = patching;
        _alpha = Enumerable.Repeat(alpha, patching.Graph.Edges.Count).ToArray();
    }

    public CircuitGraph Graph => _patching.Graph;

    public float this[int edge]
    {
        get => _alpha[edge];
        set
        {
            if (!float.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "An edge's mask is a finite number: 0 clean, 1 corrupted.");
            if (_alpha[edge] == value) return;
            _alpha[edge] = value;
            _logits = null;
        }
    }

    public float[] Logits() => _logits ??= _patching.Logits(_alpha);
}
