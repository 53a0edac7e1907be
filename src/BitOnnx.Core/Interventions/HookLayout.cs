using BitOnnx.Core.Model;

namespace BitOnnx.Core.Interventions;

/// <summary>What one axis of a hook's row indexes.</summary>
public enum HookAxis
{
    /// <summary>Sequence position (the destination, or query, position of an attention pattern).</summary>
    Position,

    /// <summary>Attention head.</summary>
    Head,

    /// <summary>Key (source) position of an attention pattern.</summary>
    Source,

    /// <summary>MLP neuron.</summary>
    Neuron,

    /// <summary>A feature of the residual stream or of a head (never indexed on its own).</summary>
    Feature,
}

/// <summary>
/// One row of a hook (the activation of one input sequence), its shape stated once with what each axis means, and the
/// elements a <see cref="HookIndex"/> selects in it. Rows are row-major in <see cref="Dims"/>; a batch is rows one after
/// another, as <see cref="HookNames.For"/> lays hooks out.
/// </summary>
public sealed record HookLayout(string Hook, IReadOnlyList<int> Dims, IReadOnlyList<HookAxis> Axes)
{
    /// <summary>Values per row.</summary>
    public int RowSize => Dims.Aggregate(1, (a, b) => a * b);

    /// <summary>
    /// The layout of <paramref name="hook"/> in a model of <paramref name="config"/>; an
    /// <see cref="InterventionException"/> when the model has no such hook, or it cannot be written (the logits, which
    /// nothing reads after, and attention scores, whose masked entries are −∞ and would make H + M ⊙ (V − H) undefined).
    /// </summary>
    public static HookLayout Of(TransformerConfig config, string hook)
    {
        var shapes = HookNames.For(config, 1);
        var writable = shapes.Select(s => s.Name).Where(IsWritable).ToList();
        var found = shapes.FirstOrDefault(s => s.Name == hook);
        if (found.Name is null || !IsWritable(hook))
            throw new InterventionException(found.Name is null
                ? $"The model has no hook '{hook}'; it has {string.Join(", ", writable)}."
                : $"Hook '{hook}' cannot be written ({(hook == HookNames.Logits ? "nothing reads the logits after they are made" : "its masked scores are −∞; write the pattern instead")}); the model's writable hooks are {string.Join(", ", writable)}.");
        var dims = found.Shape.Dims.Skip(1).ToArray();
        return new HookLayout(hook, dims, AxesOf(hook));
    }

    /// <summary>Hooks an intervention may write: all but the logits and the attention scores.</summary>
    public static bool IsWritable(string hook) =>
        hook != HookNames.Logits && !hook.EndsWith(".hook_attn_scores", StringComparison.Ordinal);

    private static HookAxis[] AxesOf(string hook) =>
        hook.EndsWith(".hook_pattern", StringComparison.Ordinal) ? [HookAxis.Head, HookAxis.Position, HookAxis.Source]
        : hook.Contains(".attn.hook_", StringComparison.Ordinal) ? [HookAxis.Position, HookAxis.Head, HookAxis.Feature]
        : hook.Contains(".mlp.hook_", StringComparison.Ordinal) ? [HookAxis.Position, HookAxis.Neuron]
        : [HookAxis.Position, HookAxis.Feature];

    /// <summary>
    /// The mask of one row, 1 where <paramref name="index"/> selects; an <see cref="InterventionException"/> naming the
    /// hook, the coordinate and what the hook has when a coordinate is out of range or means nothing for this hook.
    /// </summary>
    public float[] Mask(HookIndex index)
    {
        var wanted = new int?[Axes.Count];
        void Take(int? value, HookAxis axis, string name)
        {
            if (value is not { } v) return;
            var at = Axes.ToList().IndexOf(axis);
            if (at < 0)
                throw new InterventionException($"Hook '{Hook}' has no {name} axis (its row is [{Describe()}]); index it by {string.Join(", ", Axes.Where(a => a != HookAxis.Feature).Select(Name).Distinct())}.");
            if (v < 0 || v >= Dims[at])
                throw new InterventionException($"{name} {v} is out of range for hook '{Hook}': it has {Dims[at]} ({Name(axis)} 0..{Dims[at] - 1}).");
            wanted[at] = v;
        }
        Take(index.Position, HookAxis.Position, "position");
        Take(index.Head, HookAxis.Head, "head");
        Take(index.Source, HookAxis.Source, "source position");
        Take(index.Neuron, HookAxis.Neuron, "neuron");
        var mask = new float[RowSize];
        var coordinates = new int[Dims.Count];
        for (var i = 0; i < mask.Length; i++)
        {
            var rest = i;
            for (var axis = Dims.Count - 1; axis >= 0; axis--)
            {
                coordinates[axis] = rest % Dims[axis];
                rest /= Dims[axis];
            }
            var selected = true;
            for (var axis = 0; axis < Dims.Count && selected; axis++) selected = wanted[axis] is not { } w || coordinates[axis] == w;
            if (selected) mask[i] = 1;
        }
        return mask;
    }

    /// <summary>The row's shape with its axes named: "pos 3, head 4, d_head 32".</summary>
    public string Describe() => string.Join(", ", Dims.Select((d, i) => $"{Name(Axes[i])} {d}"));

    private static string Name(HookAxis axis) => axis switch
    {
        HookAxis.Position => "pos",
        HookAxis.Head => "head",
        HookAxis.Source => "src",
        HookAxis.Neuron => "neuron",
        _ => "feature",
    };
}

/// <summary>An intervention the model cannot take: a hook it does not have or cannot write, an index out of range, values of the wrong shape.</summary>
public sealed class InterventionException(string message) : BitOnnxException(message);
