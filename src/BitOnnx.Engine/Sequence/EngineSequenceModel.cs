using BitOnnx.Core;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// A <see cref="SequenceModelConfig"/> model (Quirke et al. 2024's HookedTransformer) on the engine, in float32:
/// tokens [rows, length] (length ≤ n_ctx) → logits [rows, length, d_vocab_out] (<see cref="Logits"/>, a
/// <see cref="SequenceLogits"/>), the hooked pass of <see cref="IHookedSequenceModel"/>, and the slot loss with its
/// gradient for every parameter (<see cref="LossAndGradient"/>). Parameters live in one <see cref="ParameterSet"/>
/// under TransformerLens' names, in the config's order. The same weights give the same bits for any thread count
/// (each product is <see cref="Kernels.Gemm"/>'s, each row or sample computed by one thread, sums in row order).
/// Not safe to call from two threads at once: a pass reuses its buffers.
/// </summary>
public sealed class EngineSequenceModel : IHookedSequenceModel
{
    private readonly SequenceLinears _linears;
    private readonly SequenceLinears _linearGradients;
    private SequenceActivations? _activations;

    public EngineSequenceModel(SequenceModelConfig config, int threads = 1)
    {
        Config = config.Validated();
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "At least one thread.");
        Threads = threads;
        Parameters = ParameterSet.ZerosOf(config.Parameters().Select(p => (p.Name, p.Shape)));
        _linears = new SequenceLinears(config);
        _linearGradients = new SequenceLinears(config);
    }

    public SequenceModelConfig Config { get; }

    /// <summary>The latent parameters (the block linears before quantization), writable.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>The most threads a pass uses, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>A model holding <paramref name="tensors"/> (one per parameter, by name).</summary>
    public static EngineSequenceModel FromTensors(SequenceModelConfig config, IEnumerable<NamedTensor> tensors, int threads = 1)
    {
        var model = new EngineSequenceModel(config, threads);
        model.LoadFrom(tensors);
        return model;
    }

    /// <summary>The model a <see cref="SequenceCheckpoint"/> holds, whichever backend wrote it (moments left out).</summary>
    public static EngineSequenceModel Load(string checkpoint, int threads = 1)
    {
        var saved = SequenceCheckpoint.Load(checkpoint);
        return FromTensors(saved.Config, saved.Parameters, threads);
    }

    /// <summary>Copies every parameter in by name; each must be present with its shape.</summary>
    public void LoadFrom(IEnumerable<NamedTensor> tensors)
    {
        var byName = tensors.ToDictionary(t => t.Name);
        foreach (var info in Parameters.Entries)
        {
            if (!byName.TryGetValue(info.Name, out var t)) throw new ArgumentException($"No tensor named '{info.Name}'.", nameof(tensors));
            if (!t.Shape.Equals(info.Shape)) throw new ArgumentException($"'{info.Name}' has shape {t.Shape}, not {info.Shape}.", nameof(tensors));
            t.Data.CopyTo(Parameters.Slice(info));
        }
    }

    /// <summary>The parameters as float32 tensors in the config's order (a copy).</summary>
    public IReadOnlyList<NamedTensor> ToNamedTensors() =>
        Parameters.Entries.Select(e => new NamedTensor(e.Name, e.Shape, Parameters.Slice(e).ToArray())).ToList();

    /// <summary>Logits [rows, length, d_vocab_out] of tokens [rows, length]: a <see cref="SequenceLogits"/>.</summary>
    public float[] Logits(int[] tokens, int rows, int length)
    {
        var s = Forward(tokens, rows, length, null);
        return s.Used(s.Logits, Config.DVocabOut).ToArray();
    }

    public SequenceRun Run(int[] tokens, int rows, int length, IReadOnlyList<SequenceHookWrite> writes, IReadOnlyCollection<string> capture)
    {
        RequireShape(tokens, rows, length);
        var hooks = new SequenceHookPoints(Config, rows, length, writes, capture);
        var activations = Forward(tokens, rows, length, hooks);
        return new SequenceRun(activations.Used(activations.Logits, Config.DVocabOut).ToArray(), hooks.Captured);
    }

    /// <summary>
    /// The slot loss of <paramref name="batch"/> (<paramref name="task"/>'s prediction slots, mean cross-entropy) and,
    /// written into <paramref name="gradient"/> (a <see cref="ParameterSet"/> of <see cref="Parameters"/>' layout), its
    /// gradient with respect to every latent parameter. <see cref="LastLogits"/> holds the batch's logits afterwards.
    /// </summary>
    public double LossAndGradient(LabelledBatch batch, ISequenceTask task, ParameterSet gradient)
    {
        if (gradient.Data.Length != Parameters.Data.Length)
            throw new ArgumentException("The gradient must have the parameters' layout (Parameters.ZerosLike()).", nameof(gradient));
        var s = Forward(batch.Tokens, batch.Count, batch.ContextLength, null);
        var loss = SlotCrossEntropy.Run(s.Used(s.Logits, Config.DVocabOut), batch.Count, batch.ContextLength, Config.DVocabOut, task.Slots, batch.Targets,
            s.Used(s.Gradients.DLogits, Config.DVocabOut));
        SequenceBackward.Run(Config, Parameters, _linears, _linearGradients, s, gradient, Threads);
        return loss;
    }

    /// <summary>The logits [rows, length, d_vocab_out] of the last pass (overwritten by the next).</summary>
    public ReadOnlySpan<float> LastLogits => _activations is null ? default : _activations.Used(_activations.Logits, Config.DVocabOut);

    private SequenceActivations Forward(int[] tokens, int rows, int length, SequenceHookPoints? hooks)
    {
        RequireShape(tokens, rows, length);
        // Buffers for the most rows asked so far, of n_ctx positions each: any shorter pass reuses them.
        if (_activations is null || _activations.RowCapacity < rows) _activations = new SequenceActivations(Config, rows);
        _activations.SetShape(rows, length);
        _linears.LoadFrom(Parameters);
        SequenceForward.Run(Config, Parameters, _linears, _activations, tokens, hooks, Threads);
        return _activations;
    }

    private void RequireShape(int[] tokens, int rows, int length)
    {
        if (rows < 1 || length < 1 || length > Config.NCtx)
            throw new BitOnnxException($"The model reads 1 to {Config.NCtx} positions of at least one row, not {rows} rows of {length}; give tokens [rows, length] with length at most n_ctx.");
        if (tokens.Length != rows * length)
            throw new BitOnnxException($"{tokens.Length} tokens are not {rows} rows of {length}; give rows × length tokens, row-major.");
    }
}
