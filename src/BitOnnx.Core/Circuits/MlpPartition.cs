namespace BitOnnx.Core.Circuits;

/// <summary>One group of an MLP's neurons: its label (what the node's name carries in brackets, <c>group=1</c>, <c>f=14</c>) and its neurons, ascending.</summary>
public sealed record MlpGroup(string Label, IReadOnlyList<int> Neurons);

/// <summary>
/// The groups an MLP's neurons are split into, each a node of the <see cref="CircuitGraph"/>: any partition of the
/// neurons 0..dMlp−1 (every neuron in exactly one group), contiguous blocks (<see cref="Contiguous"/>) or, for
/// example, the neurons of each key frequency. One group is the whole MLP as one node. The same partition splits
/// every block's MLP.
/// </summary>
public sealed class MlpPartition
{
    private MlpPartition(int dMlp, IReadOnlyList<MlpGroup> groups, bool contiguous)
    {
        DMlp = dMlp;
        Groups = groups;
        IsContiguous = contiguous;
    }

    /// <summary>The neurons of one MLP.</summary>
    public int DMlp { get; }

    /// <summary>The groups in node order.</summary>
    public IReadOnlyList<MlpGroup> Groups { get; }

    /// <summary>Whether this is <see cref="Contiguous"/>'s split (what <c>--mlp-groups N</c> and a circuit file's <c>mlp_groups</c> alone describe).</summary>
    public bool IsContiguous { get; }

    /// <summary>
    /// <paramref name="groups"/> groups of contiguous neurons, as equal as whole numbers allow (group g holds
    /// g·dMlp/groups up to (g+1)·dMlp/groups), labelled <c>group=g</c>.
    /// </summary>
    public static MlpPartition Contiguous(int dMlp, int groups)
    {
        if (groups < 1 || groups > dMlp)
            throw new CircuitException($"An MLP of {dMlp} neurons cannot be split into {groups} groups; give 1 to {dMlp}.");
        var list = Enumerable.Range(0, groups)
            .Select(g => new MlpGroup($"group={g}", Enumerable.Range(g * dMlp / groups, (g + 1) * dMlp / groups - g * dMlp / groups).ToArray()))
            .ToArray();
        return new MlpPartition(dMlp, list, contiguous: true);
    }

    /// <summary>
    /// The partition <paramref name="groups"/> of an MLP of <paramref name="dMlp"/> neurons; a <see cref="CircuitException"/>
    /// when a group is empty, a label repeats or is not a plain word (brackets, spaces), or a neuron is missing, repeated
    /// or out of range.
    /// </summary>
    public static MlpPartition Of(int dMlp, IEnumerable<MlpGroup> groups)
    {
        var list = groups.Select(g => g with { Neurons = g.Neurons.Order().ToArray() }).ToArray();
        if (list.Length == 0) throw new CircuitException("An MLP partition needs at least one group of neurons.");
        var seen = new bool[dMlp];
        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in list)
        {
            if (string.IsNullOrEmpty(group.Label) || group.Label.IndexOfAny(['[', ']', ' ', '>']) >= 0 || !labels.Add(group.Label))
                throw new CircuitException($"MLP group label '{group.Label}' is empty, repeated or holds a bracket or space; give each group its own plain label.");
            if (group.Neurons.Count == 0) throw new CircuitException($"MLP group '{group.Label}' holds no neurons; leave empty groups out.");
            foreach (var n in group.Neurons)
            {
                if (n < 0 || n >= dMlp) throw new CircuitException($"MLP group '{group.Label}' names neuron {n}; the MLP has neurons 0..{dMlp - 1}.");
                if (seen[n]) throw new CircuitException($"Neuron {n} is in two MLP groups; put each neuron in exactly one.");
                seen[n] = true;
            }
        }
        var missing = Array.IndexOf(seen, false);
        if (missing >= 0) throw new CircuitException($"Neuron {missing} is in no MLP group; put each neuron in exactly one (an 'other' group for the rest).");
        var contiguous = Contiguous(dMlp, list.Length);
        var same = list.Zip(contiguous.Groups).All(x => x.First.Label == x.Second.Label && x.First.Neurons.SequenceEqual(x.Second.Neurons));
        return same ? contiguous : new MlpPartition(dMlp, list, contiguous: false);
    }

    /// <summary>Per neuron, the index of its group.</summary>
    public int[] GroupOf()
    {
        var of = new int[DMlp];
        for (var g = 0; g < Groups.Count; g++)
            foreach (var n in Groups[g].Neurons) of[n] = g;
        return of;
    }
}
