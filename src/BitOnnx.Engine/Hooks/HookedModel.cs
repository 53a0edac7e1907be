using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Model;

namespace BitOnnx.Engine.Hooks;

/// <summary>
/// The engine's model with every hook readable and writable (TransformerLens' run_with_hooks) and a backward pass to
/// every hook (what attribution patching needs). The weights are quantized once, here; each run takes token rows
/// [rows, nCtx] and optional <see cref="HookWrite"/>s. Every position of every block is computed from the hooks before
/// it: block 0 takes hook_embed (+ hook_pos_embed) like any block, with none of the training pass's table or
/// last-position shortcuts, so a write anywhere reaches everything after it. Without writes a run computes each hook
/// with the kernels, and in the order, of <see cref="ActivationCache"/>, so the two agree to the bit. Training is
/// untouched: this is a separate pass over the same layers.
/// </summary>
public sealed class HookedModel
{
    private readonly EffectiveWeights _weights;

    /// <param name="parameters">The latent parameters (TransformerLens names), quantized here as the config says.</param>
    /// <param name="threads">The most threads a run uses; results are the same bits for any count.</param>
    public HookedModel(TransformerConfig config, ParameterSet parameters, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Config = config.Validated();
        Threads = threads;
        _weights = new EffectiveWeights(Config);
        _weights.LoadFrom(parameters);
    }

    public TransformerConfig Config { get; }
    public int Threads { get; }

    /// <summary>The weights every run multiplies by (quantized once, laid out for the products).</summary>
    internal EffectiveWeights Weights => _weights;

    /// <summary>
    /// Runs <paramref name="tokens"/> [rows, nCtx] through the model, applying each write at its hook as the pass reaches
    /// it: hook_embed and hook_pos_embed, then per block resid_pre, q, k, v, pattern (which z then mixes with), z,
    /// attn_out, resid_mid, mlp.hook_pre (which the ReLU then reads), mlp.hook_post, mlp_out, resid_post, then
    /// ln_final.hook_normalized, whose last position the unembed reads. An <see cref="InterventionException"/> when a
    /// write is not for this model or these rows.
    /// </summary>
    public HookedRun Run(int[] tokens, IReadOnlyList<HookWrite>? writes = null)
    {
        RequireTokens(tokens);
        var writeSet = new HookWriteSet(Config, tokens.Length / Config.NCtx, writes);
        return HookedForward.Run(this, _weights, tokens, writeSet, Threads);
    }

    /// <summary>
    /// The writes that <paramref name="interventions"/> make on <paramref name="clean"/>'s rows, means and resamples taken
    /// from its activations (see <see cref="HookWrites.Resolve"/>).
    /// </summary>
    public IReadOnlyList<HookWrite> Resolve(IEnumerable<Intervention> interventions, HookedRun clean, long seed = 0) =>
        HookWrites.Resolve(Config, interventions, clean.Rows, hook => clean[hook].Data, seed);

    /// <summary>
    /// d metric / d H for every hook H of <paramref name="run"/>, given <paramref name="dLogits"/> = d metric / d logits
    /// [rows, P]: the gradient with respect to each hook's value as the pass used it (after its writes). An overwritten
    /// element passes nothing to what came before it. hook_attn_scores, which cannot be written, has a gradient too.
    /// </summary>
    public HookTensors Backward(HookedRun run, float[] dLogits)
    {
        if (!ReferenceEquals(run.Model, this)) throw new ArgumentException("The run was made by another model.", nameof(run));
        if (dLogits.Length != run.Logits.Length)
            throw new ArgumentException($"dLogits holds {dLogits.Length} values; the run's logits are {run.Rows} rows of {Config.DVocabOut}.", nameof(dLogits));
        return HookedBackward.Run(_weights, run, dLogits, Threads);
    }

    /// <summary>d <paramref name="metric"/> / d H for every hook H, at the run's logits.</summary>
    public HookTensors Backward(HookedRun run, LogitMetric metric) => Backward(run, metric.Gradient(run.Logits));

    private void RequireTokens(int[] tokens)
    {
        if (tokens.Length == 0 || tokens.Length % Config.NCtx != 0)
            throw new ArgumentException($"tokens holds {tokens.Length} values, not a positive whole number of rows of n_ctx {Config.NCtx}.", nameof(tokens));
        foreach (var token in tokens)
            if ((uint)token >= (uint)Config.DVocab)
                throw new ArgumentException($"token {token} is outside the vocabulary 0..{Config.DVocab - 1}.", nameof(tokens));
    }
}
