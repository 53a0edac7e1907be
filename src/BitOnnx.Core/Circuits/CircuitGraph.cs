using BitOnnx.Core.Model;

namespace BitOnnx.Core.Circuits;

/// <summary>What writes into the residual stream.</summary>
public enum SenderKind
{
    /// <summary>The token embedding at one position (hook_embed).</summary>
    Embed,

    /// <summary>The positional embedding at one position (hook_pos_embed); the same in every row.</summary>
    PosEmbed,

    /// <summary>One attention head's output: its z through its rows of W_O.</summary>
    Head,

    /// <summary>A block's MLP output (hook_mlp_out).</summary>
    Mlp,
}

/// <summary>What reads from the residual stream.</summary>
public enum ReceiverKind
{
    /// <summary>One head's query input (what W_Q multiplies).</summary>
    Query,

    /// <summary>One head's key input.</summary>
    Key,

    /// <summary>One head's value input.</summary>
    Value,

    /// <summary>A block's MLP input (what W_in multiplies).</summary>
    Mlp,

    /// <summary>The final residual stream at the last position: what the final norm (if any) and the unembed read.</summary>
    Logits,
}

/// <summary>
/// A node's output as the residual stream carries it; <see cref="Position"/> only for the embeddings, <see cref="Head"/>
/// only for heads, <see cref="Group"/> only for one group of an MLP's neurons (null: the whole MLP), <see cref="Label"/>
/// that group's label when its partition is not contiguous (<see cref="MlpGroup.Label"/>; null: <c>group=g</c>). Ask the
/// graph for an MLP group's node (<see cref="CircuitGraph.MlpSender"/>) rather than building one.
/// </summary>
public sealed record CircuitSender(SenderKind Kind, int Layer = 0, int Head = 0, int Position = 0, int? Group = null, string? Label = null)
{
    /// <summary><c>embed[pos=0]</c>, <c>pos_embed[pos=2]</c>, <c>blocks.0.attn.head1</c>, <c>blocks.0.mlp</c>, <c>blocks.0.mlp[group=1]</c>, <c>blocks.0.mlp[f=14]</c>.</summary>
    public string Name => Kind switch
    {
        SenderKind.Embed => $"embed[pos={Position}]",
        SenderKind.PosEmbed => $"pos_embed[pos={Position}]",
        SenderKind.Head => $"blocks.{Layer}.attn.head{Head}",
        _ => CircuitGraph.MlpName(Layer, Group, Label),
    };

    public override string ToString() => Name;
}

/// <summary>A node's input, the sum of what its senders wrote; <see cref="Group"/> and <see cref="Label"/> as for <see cref="CircuitSender"/>.</summary>
public sealed record CircuitReceiver(ReceiverKind Kind, int Layer = 0, int Head = 0, int? Group = null, string? Label = null)
{
    /// <summary><c>blocks.0.attn.head1.q</c>, <c>blocks.0.mlp</c>, <c>logits</c>.</summary>
    public string Name => Kind switch
    {
        ReceiverKind.Query => $"{Node}.q",
        ReceiverKind.Key => $"{Node}.k",
        ReceiverKind.Value => $"{Node}.v",
        _ => Node,
    };

    /// <summary>The node this is an input of, named as that node's <see cref="CircuitSender.Name"/> (a head's q, k and v share one).</summary>
    public string Node => Kind switch
    {
        ReceiverKind.Query or ReceiverKind.Key or ReceiverKind.Value => $"blocks.{Layer}.attn.head{Head}",
        ReceiverKind.Mlp => CircuitGraph.MlpName(Layer, Group, Label),
        _ => "logits",
    };

    public bool IsHead => Kind is ReceiverKind.Query or ReceiverKind.Key or ReceiverKind.Value;

    public override string ToString() => Name;
}

/// <summary>One path from a sender's output to a receiver's input through the residual stream; <see cref="Index"/> is its place in <see cref="CircuitGraph.Edges"/>.</summary>
public sealed record CircuitEdge(int Index, CircuitSender Sender, CircuitReceiver Receiver)
{
    /// <summary><c>embed[pos=0] -> blocks.0.attn.head1.v</c>.</summary>
    public string Name => $"{Sender.Name} -> {Receiver.Name}";

    public override string ToString() => Name;
}

/// <summary>
/// A model's computational graph as ACDC draws it (Conmy et al. 2023, arXiv 2304.14997): senders are the token and
/// positional embeddings at each position, each head's output and each MLP's output; receivers are each head's q, k and
/// v inputs, each MLP's input and the logits; an edge is a path from a sender to a receiver through the residual stream.
/// A receiver's input is the sum of its senders' outputs (no norm sits before a head or an MLP in these presets), so
/// corrupting one edge changes one term of one sum.
/// <para>
/// The residual stream is per position: an embedding at position p reaches a receiver only at p. Only the last
/// position's final residual stream reaches the logits, so in the last block a head's query and the MLP are read at
/// the last position only, and an embedding elsewhere has no edge to them (its effect would be 0 by construction);
/// keys, values and every earlier block read every position. Heads and MLPs send at every position their receivers
/// read. Positional embeddings are the same in every row, so clean and corrupted agree and their edges never matter;
/// they are in the graph because they are paths of the model.
/// </para>
/// </summary>
public sealed class CircuitGraph
{
    private readonly Dictionary<string, CircuitEdge> _byName;
    private readonly Dictionary<CircuitReceiver, CircuitEdge[]> _into;
    private readonly int[] _all;

    private CircuitGraph(TransformerConfig config, MlpPartition partition, List<CircuitSender> senders, List<CircuitReceiver> receivers, List<CircuitEdge> edges)
    {
        Config = config;
        Partition = partition;
        Senders = senders;
        Receivers = receivers;
        Edges = edges;
        _byName = edges.ToDictionary(e => e.Name, StringComparer.Ordinal);
        _all = Enumerable.Range(0, config.DMlp).ToArray();
        _into = receivers.ToDictionary(r => r, r => edges.Where(e => e.Receiver == r).ToArray());
    }

    public TransformerConfig Config { get; }

    /// <summary>The number of groups each MLP's neurons are split into, each its own sender and receiver (1: the MLP is one node).</summary>
    public int MlpGroups => Partition.Groups.Count;

    /// <summary>The groups each MLP's neurons are split into (one group: the MLP is one node).</summary>
    public MlpPartition Partition { get; }

    /// <summary>Every sender in forward order: embeddings by position, then per block its heads and its MLP.</summary>
    public IReadOnlyList<CircuitSender> Senders { get; }

    /// <summary>Every receiver in forward order: per block each head's q, k, v, then its MLP; the logits last.</summary>
    public IReadOnlyList<CircuitReceiver> Receivers { get; }

    /// <summary>Every edge, grouped by receiver in forward order and, within one, by sender in forward order.</summary>
    public IReadOnlyList<CircuitEdge> Edges { get; }

    /// <summary>The graph of a model of <paramref name="config"/>.</summary>
    /// <param name="mlpGroups">
    /// Split each MLP into this many groups of contiguous neurons (<see cref="MlpNeurons"/>), each a sender (its neurons'
    /// activations through their rows of W_out) and a receiver (what its neurons' columns of W_in read); 1: the MLP is
    /// one node, named <c>blocks.0.mlp</c>; more: <c>blocks.0.mlp[group=g]</c>.
    /// </param>
    public static CircuitGraph Of(TransformerConfig config, int mlpGroups = 1) =>
        Of(config, MlpPartition.Contiguous(config.Validated().DMlp, mlpGroups));

    /// <summary>
    /// The graph of a model of <paramref name="config"/> with each MLP split into <paramref name="partition"/>'s groups,
    /// each a sender and a receiver named <c>blocks.0.mlp[label]</c>; one group: the MLP is one node.
    /// </summary>
    public static CircuitGraph Of(TransformerConfig config, MlpPartition partition)
    {
        config = config.Validated();
        if (partition.DMlp != config.DMlp)
            throw new CircuitException($"The MLP partition is of {partition.DMlp} neurons, the model's MLP has {config.DMlp}; give a partition of this model's neurons.");
        var mlpGroups = partition.Groups.Count;
        int t = config.NCtx, last = config.NLayers - 1;
        var senders = new List<CircuitSender>();
        for (var p = 0; p < t; p++) senders.Add(new CircuitSender(SenderKind.Embed, Position: p));
        if (config.PositionalEmbedding)
            for (var p = 0; p < t; p++) senders.Add(new CircuitSender(SenderKind.PosEmbed, Position: p));
        var receivers = new List<CircuitReceiver>();
        for (var l = 0; l < config.NLayers; l++)
        {
            for (var h = 0; h < config.NHeads; h++)
            {
                senders.Add(new CircuitSender(SenderKind.Head, l, h));
                foreach (var kind in new[] { ReceiverKind.Query, ReceiverKind.Key, ReceiverKind.Value }) receivers.Add(new CircuitReceiver(kind, l, h));
            }
            for (var g = 0; g < mlpGroups; g++)
            {
                int? group = mlpGroups == 1 ? null : g;
                var label = mlpGroups == 1 || partition.IsContiguous ? null : partition.Groups[g].Label;
                senders.Add(new CircuitSender(SenderKind.Mlp, l, Group: group, Label: label));
                receivers.Add(new CircuitReceiver(ReceiverKind.Mlp, l, Group: group, Label: label));
            }
        }
        receivers.Add(new CircuitReceiver(ReceiverKind.Logits, last));

        var edges = new List<CircuitEdge>();
        foreach (var receiver in receivers)
            foreach (var sender in senders.Where(s => Reaches(config, s, receiver)))
                edges.Add(new CircuitEdge(edges.Count, sender, receiver));
        return new CircuitGraph(config, partition, senders, receivers, edges);
    }

    /// <summary><c>blocks.0.mlp</c> for the whole MLP, <c>blocks.0.mlp[group=1]</c> or <c>blocks.0.mlp[label]</c> for one group of its neurons.</summary>
    public static string MlpName(int layer, int? group, string? label = null) =>
        label is not null ? $"blocks.{layer}.mlp[{label}]" : group is { } g ? $"blocks.{layer}.mlp[group={g}]" : $"blocks.{layer}.mlp";

    /// <summary>The neurons of MLP group <paramref name="group"/> (null: all), ascending.</summary>
    public IReadOnlyList<int> MlpNeurons(int? group) => group is { } g ? Partition.Groups[g].Neurons : _all;

    /// <summary>Block <paramref name="layer"/>'s MLP as a sender: group <paramref name="group"/> of it, or the whole when null.</summary>
    public CircuitSender MlpSender(int layer, int? group = null) => new(SenderKind.Mlp, layer, Group: group, Label: LabelOf(group));

    /// <summary>Block <paramref name="layer"/>'s MLP as a receiver, as <see cref="MlpSender"/>.</summary>
    public CircuitReceiver MlpReceiver(int layer, int? group = null) => new(ReceiverKind.Mlp, layer, Group: group, Label: LabelOf(group));

    private string? LabelOf(int? group) => group is { } g && !Partition.IsContiguous ? Partition.Groups[g].Label : null;

    /// <summary>
    /// The positions at which <paramref name="receiver"/>'s input can change the logits: the last one for the last
    /// block's queries and MLP and for the logits, every one otherwise.
    /// </summary>
    public static bool ReadsEveryPosition(TransformerConfig config, CircuitReceiver receiver) =>
        receiver.Layer < config.NLayers - 1 || receiver.Kind is ReceiverKind.Key or ReceiverKind.Value;

    /// <inheritdoc cref="ReadsEveryPosition(TransformerConfig, CircuitReceiver)"/>
    public bool ReadsEveryPosition(CircuitReceiver receiver) => ReadsEveryPosition(Config, receiver);

    /// <summary>The edges into <paramref name="receiver"/>, by sender in forward order.</summary>
    public IReadOnlyList<CircuitEdge> Into(CircuitReceiver receiver) =>
        _into.TryGetValue(receiver, out var edges) ? edges : throw new KeyNotFoundException($"No receiver '{receiver.Name}' in this graph.");

    /// <summary>The edge from <paramref name="sender"/> to <paramref name="receiver"/> (names as in <see cref="CircuitEdge.Name"/>); null when the graph has none.</summary>
    public CircuitEdge? Find(string sender, string receiver) => _byName.GetValueOrDefault($"{sender} -> {receiver}");

    /// <summary>
    /// Whether the residual stream carries <paramref name="sender"/> to <paramref name="receiver"/>: a sender computed
    /// before the receiver's node (a head before its block's MLP and every later block, an MLP before every later
    /// block), and an embedding only at a position the receiver reads.
    /// </summary>
    private static bool Reaches(TransformerConfig config, CircuitSender sender, CircuitReceiver receiver) => sender.Kind switch
    {
        SenderKind.Embed or SenderKind.PosEmbed => ReadsEveryPosition(config, receiver) || sender.Position == config.NCtx - 1,
        SenderKind.Head => receiver.Kind == ReceiverKind.Logits || sender.Layer < receiver.Layer
            || (sender.Layer == receiver.Layer && receiver.Kind == ReceiverKind.Mlp),
        _ => receiver.Kind == ReceiverKind.Logits || sender.Layer < receiver.Layer,
    };
}
