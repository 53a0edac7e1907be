using System.Globalization;
using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Proto;
using BitOnnx.Onnx.Weights;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// Rewrites an exported modular-addition model into its edge-patched form over the model's <see cref="CircuitGraph"/>:
/// every receiver (each head's q, k and v input, each MLP's input or each MLP group's, the logits) reads its own sum of
/// its senders' outputs, each sender's term <c>current·(1 − α) + corrupted·α</c> with α the edge's entry of the input
/// <see cref="EdgeMask"/> [edges] (0 and 1 select exactly; between, the straight line). "Current" is what the sender's
/// node computed in this pass from its own, possibly patched, inputs; "corrupted" is a graph input
/// (<see cref="CorruptedName"/>) the caller fills once from a corrupted pass of this same graph (resample: its sender
/// outputs on other rows with every mask 0) or from the clean pass's means (mean ablation). The sums, the nodes and the
/// positions they are read at are those of the engine's <c>EdgePatchedRun</c>: embeddings, then per earlier block its
/// heads' z's (mixed per head) through W_O in one product, then its MLP's output (or its groups' activations, mixed
/// per group, through W_out in one product); heads computed one at a time; the last block's queries, MLP and the
/// logits at the last position only; the final norm when the config has one (li2024), none when it does not
/// (nanda2023). Positional embeddings are the same in every row, so clean and corrupted agree and they are added as
/// they are.
/// <para>
/// The weights are the export's folded weights, read whatever their storage (<see cref="FoldedWeights"/>: float, int8
/// codes, 2-bit codes) and written as float initializers, and every product runs in float32: the function the engine
/// rebuilds from the same file. The export's own product nodes are not kept, because the 2-bit formats quantize each
/// product's input to 8 bits, which is another function than the engine's (and than the float export's) by far more
/// than rounding. What else the file held (probes, writable hooks) goes; its metadata stays, with the graph's MLP
/// groups under <see cref="MlpGroupsKey"/>. The mask is an input, so one session serves every mask.
/// </para>
/// <para>
/// Inputs: <c>tokens</c> int64 [batch, n_ctx]; <see cref="EdgeMask"/> float [edges]; <c>corrupted.hook_embed</c>
/// [batch, n_ctx, d_model]; per block <c>corrupted.blocks.L.attn.hook_z</c> [batch, T_L, heads, d_head] and either
/// <c>corrupted.blocks.L.hook_mlp_out</c> [batch, T_L, d_model] (one MLP node) or <c>corrupted.blocks.L.mlp.hook_post</c>
/// [batch, T_L, d_mlp] (groups), T_L = n_ctx, or 1 in the last block. Outputs: <c>logits</c> [batch, P] and the
/// senders' values in this pass under <see cref="SenderName"/> (the shapes of the corrupted inputs), which is how the
/// corrupted inputs are made.
/// </para>
/// </summary>
public static class EdgePatchingSurgery
{
    /// <summary>The mask input: one float per edge of the graph, in <see cref="CircuitGraph.Edges"/> order.</summary>
    public const string EdgeMask = "edge_mask";

    /// <summary>The metadata key that records the MLP groups of the graph the mask is over.</summary>
    public const string MlpGroupsKey = "bitonnx.edge_patching.mlp_groups";

    private const string CorruptedPrefix = "corrupted.";
    private const string SenderPrefix = "senders.";

    /// <summary>The hooks whose values the senders are, in the order the inputs list them (see the class remarks).</summary>
    public static IReadOnlyList<string> SenderHooks(TransformerConfig c, int mlpGroups)
    {
        var hooks = new List<string> { HookNames.Embed };
        for (var l = 0; l < c.NLayers; l++)
        {
            hooks.Add(HookNames.Z(l));
            hooks.Add(mlpGroups > 1 ? HookNames.MlpPost(l) : HookNames.MlpOut(l));
        }
        return hooks;
    }

    /// <summary>The graph input that carries <paramref name="hook"/>'s corrupted values.</summary>
    public static string CorruptedName(string hook) => CorruptedPrefix + hook;

    /// <summary>The graph output that carries <paramref name="hook"/>'s values in this pass.</summary>
    public static string SenderName(string hook) => SenderPrefix + hook;

    /// <summary>The shape of one row of <paramref name="hook"/> (a sender hook) as the inputs and outputs hold it.</summary>
    public static int[] RowShape(TransformerConfig c, string hook)
    {
        for (var l = 0; l < c.NLayers; l++)
        {
            var positions = l == c.NLayers - 1 ? 1 : c.NCtx;
            if (hook == HookNames.Z(l)) return [positions, c.NHeads, c.DHead];
            if (hook == HookNames.MlpOut(l)) return [positions, c.DModel];
            if (hook == HookNames.MlpPost(l)) return [positions, c.DMlp];
        }
        return hook == HookNames.Embed ? [c.NCtx, c.DModel] : throw new ArgumentException($"'{hook}' is not a sender hook.", nameof(hook));
    }

    /// <summary>The edge-patched model of <paramref name="model"/> (a new model) and its graph.</summary>
    /// <param name="name">The model's name in messages.</param>
    /// <param name="mlpGroups">Each MLP split into this many groups of neurons (<see cref="CircuitGraph.Of(TransformerConfig, int)"/>).</param>
    /// <exception cref="ModelContractException">The model carries no config, or lacks a weight the graph needs.</exception>
    public static OnnxModel Apply(OnnxModel model, string name, int mlpGroups, out CircuitGraph graph) =>
        Apply(model, name, (MlpPartition?)null, mlpGroups, out graph);

    /// <summary>The edge-patched model of <paramref name="model"/> with each MLP split into <paramref name="partition"/>'s groups (a new model) and its graph.</summary>
    /// <param name="name">The model's name in messages.</param>
    /// <param name="partition">The groups of each MLP's neurons (<see cref="CircuitGraph.Of(TransformerConfig, MlpPartition)"/>).</param>
    /// <exception cref="ModelContractException">The model carries no config, or lacks a weight the graph needs.</exception>
    public static OnnxModel Apply(OnnxModel model, string name, MlpPartition partition, out CircuitGraph graph) =>
        Apply(model, name, partition, partition.Groups.Count, out graph);

    private static OnnxModel Apply(OnnxModel model, string name, MlpPartition? partition, int mlpGroups, out CircuitGraph graph)
    {
        var weights = new FoldedWeights(model, name);
        var config = weights.Config.Validated();
        graph = CircuitGraph.Of(config, partition ?? MlpPartition.Contiguous(config.DMlp, mlpGroups));
        float[] Read(string parameter) => weights.TryRead(parameter, out var w) ? w.Data
            : throw new ModelContractException($"Model '{name}' holds no weight '{parameter}', which edge patching rebuilds the model from; re-export it with bitonnx export.");
        var builder = new OnnxGraphBuilder("edge_patched");
        new EdgePatchedGraph(builder, config, graph, Read).Emit();
        var metadata = model.Proto.MetadataProps.Select(m => KeyValuePair.Create(m.Key, m.Value))
            .Where(m => m.Key != MlpGroupsKey)
            .Append(KeyValuePair.Create(MlpGroupsKey, mlpGroups.ToString(CultureInfo.InvariantCulture)));
        return new OnnxModel(builder.Build(metadata));
    }
}

/// <summary>The nodes of <see cref="EdgePatchingSurgery"/>'s graph; shapes as there, R the symbolic batch.</summary>
internal sealed class EdgePatchedGraph(OnnxGraphBuilder g, TransformerConfig c, CircuitGraph graph, Func<string, float[]> read)
{
    private readonly Dictionary<string, TensorRef> _named = new(StringComparer.Ordinal);
    private TensorRef _mask, _one, _embed, _corruptEmbed;
    private TensorRef? _pos;
    private readonly List<TensorRef> _z = [], _corruptZ = [], _mlp = [], _corruptMlp = [];
    private int _counter;

    private int Last => c.NLayers - 1;
    private bool Groups => graph.MlpGroups > 1;

    public void Emit()
    {
        int t = c.NCtx, d = c.DModel;
        var tokens = g.Input(ModelContract.Tokens, TensorElementType.Int64, ["batch", t]);
        _mask = g.Input(EdgePatchingSurgery.EdgeMask, TensorElementType.Float, [graph.Edges.Count]);
        _one = g.Scalar("one", 1f);
        _embed = g.Node("Gather", [Weight(ParameterNames.Embed, c.DVocab, d), tokens], new NodeAttributes { { "axis", 0L } }, EdgePatchingSurgery.SenderName(HookNames.Embed));
        _corruptEmbed = Corrupted(HookNames.Embed);
        if (c.PositionalEmbedding) _pos = Weight(ParameterNames.PosEmbed, t, d);
        for (var l = 0; l < c.NLayers; l++)
        {
            _corruptZ.Add(Corrupted(HookNames.Z(l)));
            _corruptMlp.Add(Corrupted(Groups ? HookNames.MlpPost(l) : HookNames.MlpOut(l)));
        }
        for (var l = 0; l < c.NLayers; l++)
        {
            var heads = Enumerable.Range(0, c.NHeads).Select(h => g.Node("Unsqueeze", [Head(l, h), Ints(2)])).ToArray();
            _z.Add(Output(g.Node("Concat", heads, new NodeAttributes { { "axis", 2L } }, EdgePatchingSurgery.SenderName(HookNames.Z(l))), HookNames.Z(l)));
            _mlp.Add(Output(Groups ? GroupActivations(l) : Mlp(l), Groups ? HookNames.MlpPost(l) : HookNames.MlpOut(l)));
        }
        var logits = Unembed(Input(new CircuitReceiver(ReceiverKind.Logits, Last)));
        g.Output(logits, TensorElementType.Float, ["batch", c.DVocabOut]);
        g.Output(_embed, TensorElementType.Float, ["batch", t, d]);
    }

    /// <summary>z of one head [R, T_l, E] from its own q, k and v inputs.</summary>
    private TensorRef Head(int l, int h)
    {
        TensorRef Project(ReceiverKind kind, string weight)
        {
            var all = read(weight);
            int d = c.DModel, e = c.DHead;
            var slice = all.AsSpan(h * d * e, d * e).ToArray();
            return g.Node("MatMul", [Input(new CircuitReceiver(kind, l, h)), g.Initializer($"{weight}[head={h}]", slice, [d, e])]);
        }
        var q = Project(ReceiverKind.Query, ParameterNames.Query(l));
        var k = Project(ReceiverKind.Key, ParameterNames.Key(l));
        var v = Project(ReceiverKind.Value, ParameterNames.Value(l));
        var raw = g.Node("MatMul", [q, g.Node("Transpose", [k], new NodeAttributes { { "perm", new long[] { 0, 2, 1 } } })]);
        var scores = g.Node("Mul", [raw, Constant("scale", c.ScoreScale)]);
        // The last block's one query (the last position) sees every key, so only earlier blocks are masked.
        if (c.CausalMask && l != Last) scores = g.Node("Add", [scores, Constant("causal_mask", CausalMask(c.NCtx), c.NCtx, c.NCtx)]);
        var pattern = g.Node("Softmax", [scores], new NodeAttributes { { "axis", -1L } });
        return g.Node("MatMul", [pattern, v]);
    }

    /// <summary>The MLP output [R, T_l, D] from its input.</summary>
    private TensorRef Mlp(int l)
    {
        var input = Input(new CircuitReceiver(ReceiverKind.Mlp, l));
        var pre = g.Node("MatMul", [input, Weight(ParameterNames.MlpIn(l), c.DModel, c.DMlp)]);
        return g.Node("MatMul", [g.Node("Relu", [pre]), Weight(ParameterNames.MlpOut(l), c.DMlp, c.DModel)]);
    }

    /// <summary>
    /// The MLP's activations [R, T_l, dMlp], each group's columns from that group's own input: each group's columns of
    /// W_in gathered, the groups' activations concatenated in group order, then (when that is not neuron order, as for
    /// groups by key frequency) gathered back into neuron order, which copies and so changes no value.
    /// </summary>
    private TensorRef GroupActivations(int l)
    {
        var all = read(ParameterNames.MlpIn(l));
        var parts = new List<TensorRef>();
        var order = new List<int>();
        for (var group = 0; group < graph.MlpGroups; group++)
        {
            var neurons = graph.MlpNeurons(group);
            var count = neurons.Count;
            var columns = new float[c.DModel * count];
            for (var row = 0; row < c.DModel; row++)
                for (var k = 0; k < count; k++) columns[row * count + k] = all[row * c.DMlp + neurons[k]];
            var weight = g.Initializer($"{ParameterNames.MlpIn(l)}[group={group}]", columns, [c.DModel, count]);
            parts.Add(g.Node("Relu", [g.Node("MatMul", [Input(graph.MlpReceiver(l, group)), weight])]));
            order.AddRange(neurons);
        }
        var concatenated = g.Node("Concat", parts, new NodeAttributes { { "axis", -1L } });
        if (order.Select((n, i) => n == i).All(x => x)) return concatenated;
        var inverse = new long[c.DMlp];
        for (var i = 0; i < order.Count; i++) inverse[order[i]] = i;
        return g.Node("Gather", [concatenated, g.Initializer($"neuron_order.{l}", inverse, [c.DMlp])], new NodeAttributes { { "axis", -1L } });
    }

    /// <summary>[R, P] from the final residual stream at the last position [R, 1, D], through the final norm when the model has one.</summary>
    private TensorRef Unembed(TensorRef x)
    {
        if (c.FinalNorm)
        {
            // x / max(‖x‖₂, 1e-12) · g · sqrt(dModel), as the export and the engine normalize.
            var norm = g.Node("ReduceL2", [x, Ints(-1)], new NodeAttributes { { "keepdims", 1L } });
            var unit = g.Node("Div", [x, g.Node("Max", [norm, Constant("epsilon", 1e-12f)])]);
            var gain = g.Node("Mul", [Weight(ParameterNames.FinalNormWeight, c.DModel), Constant("sqrt_d_model", MathF.Sqrt(c.DModel))]);
            x = g.Node("Mul", [unit, gain]);
        }
        var logits = g.Node("MatMul", [x, Weight(ParameterNames.Unembed, c.DModel, c.DVocabOut)]);
        return g.Node("Squeeze", [logits, Ints(1)], output: HookNames.Logits);
    }

    /// <summary>
    /// The input of <paramref name="receiver"/> [R, T_r, D] (T_r = n_ctx where it reads every position, else 1): its
    /// senders' outputs, each mixed by its edge's mask, summed in the model's order.
    /// </summary>
    private TensorRef Input(CircuitReceiver receiver)
    {
        var every = graph.ReadsEveryPosition(receiver);
        var edges = graph.Into(receiver).ToDictionary(e => e.Sender, e => e.Index);
        long[] Alphas(IEnumerable<CircuitSender> senders) => senders.Select(s => (long)edges[s]).ToArray();
        var positions = every ? Enumerable.Range(0, c.NCtx) : [c.NCtx - 1];
        var embedAlpha = Alpha(Alphas(positions.Select(p => new CircuitSender(SenderKind.Embed, Position: p))), [1, positions.Count(), 1]);
        var x = Mix(every ? _embed : LastPosition(_embed), every ? _corruptEmbed : LastPosition(_corruptEmbed), embedAlpha);
        if (_pos is { } pos) x = g.Node("Add", [x, every ? pos : g.Node("Slice", [pos, Ints(c.NCtx - 1), Ints(c.NCtx), Ints(0)])]);

        var blocks = receiver.Kind == ReceiverKind.Logits ? c.NLayers : receiver.Layer + (receiver.Kind == ReceiverKind.Mlp ? 1 : 0);
        for (var l = 0; l < blocks; l++)
        {
            // A sender of an earlier block is kept at every position; a receiver read at the last position takes that one.
            TensorRef At(TensorRef sender) => every || l == Last ? sender : LastPosition(sender);
            var heads = Alpha(Alphas(Enumerable.Range(0, c.NHeads).Select(h => new CircuitSender(SenderKind.Head, l, h))), [1, 1, c.NHeads, 1]);
            var z = Mix(At(_z[l]), At(_corruptZ[l]), heads);
            var flat = g.Node("Reshape", [z, Ints(0, 0, c.NHeads * c.DHead)]);
            x = g.Node("Add", [x, g.Node("MatMul", [flat, Weight(ParameterNames.Output(l), c.NHeads * c.DHead, c.DModel)])]);
            if (receiver.Kind != ReceiverKind.Logits && l >= receiver.Layer) continue;
            if (Groups)
            {
                var neurons = new long[c.DMlp];
                for (var group = 0; group < graph.MlpGroups; group++)
                {
                    var edge = edges[graph.MlpSender(l, group)];
                    foreach (var n in graph.MlpNeurons(group)) neurons[n] = edge;
                }
                var post = Mix(At(_mlp[l]), At(_corruptMlp[l]), Alpha(neurons, [1, 1, c.DMlp]));
                x = g.Node("Add", [x, g.Node("MatMul", [post, Weight(ParameterNames.MlpOut(l), c.DMlp, c.DModel)])]);
            }
            else
            {
                x = g.Node("Add", [x, Mix(At(_mlp[l]), At(_corruptMlp[l]), Alpha([edges[new CircuitSender(SenderKind.Mlp, l)]], [1, 1, 1]))]);
            }
        }
        return x;
    }

    /// <summary>current·(1 − α) + corrupted·α: each end exact (x·1 = x, x·0 = 0), the line between.</summary>
    private TensorRef Mix(TensorRef current, TensorRef corrupted, TensorRef alpha) =>
        g.Node("Add", [g.Node("Mul", [current, g.Node("Sub", [_one, alpha])]), g.Node("Mul", [corrupted, alpha])]);

    /// <summary>The masks of <paramref name="edges"/> gathered into <paramref name="shape"/>, to broadcast over a sender's values.</summary>
    private TensorRef Alpha(long[] edges, long[] shape) =>
        g.Node("Gather", [_mask, g.Initializer($"edges.{_counter++}", edges, shape)], new NodeAttributes { { "axis", 0L } });

    private TensorRef LastPosition(TensorRef x) => g.Node("Slice", [x, Ints(c.NCtx - 1), Ints(c.NCtx), Ints(1)]);

    private TensorRef Corrupted(string hook)
    {
        var shape = EdgePatchingSurgery.RowShape(c, hook);
        return g.Input(EdgePatchingSurgery.CorruptedName(hook), TensorElementType.Float, [Dim.Symbolic("batch"), .. shape.Select(s => (Dim)s)]);
    }

    private TensorRef Output(TensorRef value, string hook)
    {
        var name = EdgePatchingSurgery.SenderName(hook);
        var named = value.Name == name ? value : g.Node("Identity", [value], output: name);
        g.Output(named, TensorElementType.Float, [Dim.Symbolic("batch"), .. EdgePatchingSurgery.RowShape(c, hook).Select(s => (Dim)s)]);
        return named;
    }

    private TensorRef Weight(string parameter, params long[] shape)
    {
        if (_named.TryGetValue(parameter, out var existing)) return existing;
        return _named[parameter] = g.Initializer(parameter, read(parameter), shape);
    }

    private TensorRef Constant(string name, float value)
    {
        if (_named.TryGetValue(name, out var existing)) return existing;
        return _named[name] = g.Scalar(name, value);
    }

    private TensorRef Constant(string name, float[] values, params long[] shape)
    {
        if (_named.TryGetValue(name, out var existing)) return existing;
        return _named[name] = g.Initializer(name, values, shape);
    }

    private TensorRef Ints(params long[] values) => g.Initializer($"ints.{_counter++}", values, [values.Length]);

    private static float[] CausalMask(int t)
    {
        var mask = new float[t * t];
        for (var i = 0; i < t; i++)
            for (var j = i + 1; j < t; j++) mask[i * t + j] = float.NegativeInfinity;
        return mask;
    }
}
