namespace BitOnnx.Core.Interventions;

/// <summary>
/// Which elements of one row of a hook an intervention writes, at TransformerLens' granularity; a null coordinate means
/// all of that axis. Positions of the residual stream and of attention and MLP outputs; a head of q, k, v, z (at one
/// position or all); a head, destination (query) position and source (key) position of a pattern; a neuron of
/// mlp.hook_pre or mlp.hook_post. <see cref="HookLayout.Mask"/> turns it into the elements of a row.
/// </summary>
public sealed record HookIndex(int? Position = null, int? Head = null, int? Neuron = null, int? Source = null)
{
    /// <summary>Every element of the row.</summary>
    public static HookIndex All { get; } = new();

    /// <summary>TransformerLens-style text: <c>[pos=2]</c>, <c>[head=1]</c>, <c>[neuron=17]</c>, <c>[head=0, dest=2, src=1]</c>; empty for all.</summary>
    public string Describe(bool pattern = false)
    {
        var parts = new List<string>();
        if (Head is { } h) parts.Add($"head={h}");
        if (Position is { } p) parts.Add(pattern ? $"dest={p}" : $"pos={p}");
        if (Source is { } s) parts.Add($"src={s}");
        if (Neuron is { } n) parts.Add($"neuron={n}");
        return parts.Count == 0 ? "" : "[" + string.Join(", ", parts) + "]";
    }
}
