using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Model;

/// <summary>
/// The hook points of one forward pass: every activation the pass computes goes through <see cref="At"/> under its
/// TransformerLens name (BitOnnx.Core.Model.HookNames), in the hook's layout, and the pass goes on with what comes back.
/// There the activation is overwritten where a write says (H' = M ? V : H), then recorded, then kept as an input of the
/// hook gradients. A hook point without a write returns the very tensor it was given, which is how block 0 knows that it
/// may keep reading its input from its table (<see cref="BlockInput.Hooked"/>, TorchTransformer's Embedded).
/// </summary>
internal sealed class HookPoints
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<TensorWrite>> _writes;
    private readonly HookRecorder? _recorder;
    private readonly List<(string Name, Tensor Value)> _seen = [];

    /// <param name="writes">Per hook, the writes in the order they apply (a later one wins where they overlap).</param>
    /// <param name="recorder">Receives a detached copy of every activation, after its writes.</param>
    /// <param name="gradients">Whether the pass keeps each hook's value for a backward that asks for its gradient.</param>
    public HookPoints(IReadOnlyDictionary<string, IReadOnlyList<TensorWrite>> writes, HookRecorder? recorder, bool gradients)
    {
        _writes = writes;
        _recorder = recorder;
        KeepsGradients = gradients;
    }

    /// <summary>Records only, as a <see cref="HookRecorder"/> asks.</summary>
    public static HookPoints Recording(HookRecorder recorder) => new(new Dictionary<string, IReadOnlyList<TensorWrite>>(), recorder, gradients: false);

    /// <summary>
    /// Whether each hook's value must be a node of the autograd graph the logits hang from: then block 0 reads its input
    /// through hook_embed, hook_pos_embed and hook_resid_pre rather than from its table, which would bypass them.
    /// </summary>
    public bool KeepsGradients { get; }

    /// <summary>Every hook the pass went through, in forward order, with the value the rest of the pass read.</summary>
    public IReadOnlyList<(string Name, Tensor Value)> Seen => _seen;

    /// <summary>The activation the rest of the pass reads in place of <paramref name="activation"/> (in the hook's layout).</summary>
    public Tensor At(string hook, Tensor activation)
    {
        var value = activation;
        if (_writes.TryGetValue(hook, out var writes))
            foreach (var write in writes) value = write.Apply(hook, value);
        _recorder?.Record(hook, value);
        _seen.Add((hook, value));
        return value;
    }
}

/// <summary>
/// One HookWrite as tensors: Mask [1, row dims] bool, broadcast over the batch, and Values [rows, row dims] float32.
/// torch.where copies each element from one side or the other, so written elements are the values to the bit and the
/// others the activation to the bit, and the backward sends the gradient of a written element to the values (which ask
/// for none), never upstream.
/// </summary>
internal sealed record TensorWrite(Tensor Mask, Tensor Values)
{
    public Tensor Apply(string hook, Tensor activation) =>
        activation.shape.SequenceEqual(Values.shape)
            ? torch.where(Mask, Values, activation)
            : throw new InvalidOperationException(
                $"Hook '{hook}' is [{string.Join(", ", activation.shape)}] in this pass but its write is [{string.Join(", ", Values.shape)}]: writes need the pass over every position.");
}
