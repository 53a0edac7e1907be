using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Interventions;

/// <summary>
/// Every hook of one pass over every position, by TransformerLens name, each row-major in the shape
/// <see cref="HookNames.For"/> gives it: the activations as the rest of the pass read them (after their writes), and
/// after a backward the gradient of the metric with respect to each of those values (empty without one).
/// </summary>
public sealed record HookedPass(IReadOnlyDictionary<string, NamedTensor> Activations, IReadOnlyDictionary<string, NamedTensor> Gradients)
{
    public float[] Logits => Activations[HookNames.Logits].Data;
}

/// <summary>
/// Interventions on the TorchSharp model (TransformerLens' run_with_hooks): HookWrites applied at the hook points of a
/// pass over every position, and the gradients of a metric with respect to every hook from one backward (what
/// attribution patching needs). The engine's hooked forward is the reference both are held to.
/// </summary>
public static class TorchInterventions
{
    /// <summary>
    /// Runs <paramref name="tokens"/> [rows, n_ctx] with <paramref name="writes"/> (resolved for these rows, as
    /// <see cref="HookWrites.Resolve"/> makes them) and returns every hook's activation.
    /// </summary>
    public static HookedPass RunWithHooks(this TorchTransformer model, int[] tokens, IReadOnlyList<HookWrite>? writes = null)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var c = model.Config;
        var rows = Rows(c, tokens);
        using var batch = new TokenBatch(c, tokens, new int[rows]);
        var hooks = new HookPoints(WriteTensors.For(c, writes ?? [], rows), recorder: null, gradients: false);
        model.Forward(batch, lastPositionOnly: false, hooks);
        return new HookedPass(Read(c, rows, hooks.Seen), new Dictionary<string, NamedTensor>());
    }

    /// <summary>
    /// The same pass, then one backward from the logits with <paramref name="dLogits"/> [rows, P], the metric's gradient
    /// with respect to them: the gradient with respect to every hook's value as the rest of the pass read it. A written
    /// element has the gradient of the value written there and passes none upstream (H' = M ? V : H); the parameters'
    /// gradients are left as they were.
    /// </summary>
    public static HookedPass HookGradients(this TorchTransformer model, int[] tokens, IReadOnlyList<HookWrite> writes, float[] dLogits)
    {
        using var scope = torch.NewDisposeScope();
        using var enableGrad = torch.enable_grad();
        var c = model.Config;
        var rows = Rows(c, tokens);
        if (dLogits.Length != (long)rows * c.DVocabOut)
            throw new InterventionException($"The metric's gradient has {dLogits.Length} values, but {rows} rows of logits have {(long)rows * c.DVocabOut} ({rows} × P = {c.DVocabOut}).");
        using var batch = new TokenBatch(c, tokens, new int[rows]);
        var hooks = new HookPoints(WriteTensors.For(c, writes, rows), recorder: null, gradients: true);
        var logits = model.Forward(batch, lastPositionOnly: false, hooks);
        var values = hooks.Seen.Select(s => s.Value).ToList();
        // autograd.grad rather than backward: the gradients come back without accumulating into the parameters' .grad.
        var gradients = torch.autograd.grad([logits], values, [torch.tensor(dLogits, [rows, c.DVocabOut])], allow_unused: true);
        var seenGradients = hooks.Seen.Select((s, i) => (s.Name, Gradient(gradients[i], s.Value))).ToList();
        return new HookedPass(Read(c, rows, hooks.Seen), Read(c, rows, seenGradients));
    }

    /// <summary>The rows of <paramref name="tokens"/>, checked: whole sequences of tokens the model has.</summary>
    private static int Rows(TransformerConfig c, int[] tokens)
    {
        if (tokens.Length == 0 || tokens.Length % c.NCtx != 0)
            throw new InterventionException($"{tokens.Length} tokens do not make whole sequences of n_ctx = {c.NCtx}; give [rows, {c.NCtx}] tokens, row-major.");
        var bad = Array.FindIndex(tokens, t => t < 0 || t >= c.DVocab);
        if (bad >= 0)
            throw new InterventionException($"Token {tokens[bad]} (row {bad / c.NCtx}, position {bad % c.NCtx}) is outside the vocabulary 0..{c.DVocab - 1} (the numbers 0..{c.P - 1} and '=' = {c.P}).");
        return tokens.Length / c.NCtx;
    }

    /// <summary>A hook that nothing after it read (allow_unused) has gradient zero.</summary>
    private static Tensor Gradient(Tensor gradient, Tensor value) => gradient.IsInvalid ? torch.zeros_like(value) : gradient;

    private static Dictionary<string, NamedTensor> Read(TransformerConfig c, int rows, IReadOnlyList<(string Name, Tensor Value)> seen)
    {
        var shapes = HookNames.For(c, rows).ToDictionary(h => h.Name, h => h.Shape);
        var read = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var (name, value) in seen)
        {
            var shape = shapes[name];
            if (!value.shape.SequenceEqual(shape.ToLongArray()))
                throw new InvalidOperationException($"Hook '{name}' is [{string.Join(", ", value.shape)}] in the pass, not {shape}.");
            read[name] = new NamedTensor(name, shape, value.detach().contiguous().data<float>().ToArray());
        }
        return read;
    }
}
