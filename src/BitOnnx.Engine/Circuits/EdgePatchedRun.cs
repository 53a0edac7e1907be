using BitOnnx.Core.Circuits;
using BitOnnx.Engine.Kernels;
using BitOnnx.Engine.Layers;

namespace BitOnnx.Engine.Circuits;

/// <summary>
/// A forward pass with a mask α on every edge of the graph: each receiver's input is
/// Σ over its senders of (α = 0 ? the sender's output in this run : α = 1 ? its corrupted output : clean + α·(corrupted −
/// clean)), then the receiver's node computes from its inputs: a head from its own q, k and v inputs, an MLP from its
/// own input, the logits through the final norm (if any) and the unembed. A sender's output "in this run" is what its
/// node computed here from its (possibly patched) inputs, so a patch reaches everything downstream through the edges
/// that are still clean. α = 0 and 1 select, so a mask of 0s and 1s gives exact values.
/// <para>
/// The sums are taken in the order the model takes them: the embeddings (token + positional), then per earlier block
/// its attention output (the heads' z's, each clean or corrupted, times W_O in one product, as the model does) and its
/// MLP output. So with every mask 0 the logits equal the <see cref="Hooks.HookedModel"/>'s clean run to the bit, and
/// with every mask 1 its corrupted run (resample). Heads are computed one at a time with the kernels the model uses,
/// at the positions that reach the logits (the last block queries its last position only).
/// </para>
/// <para>
/// <see cref="Logits"/> recomputes only what changed since it was last called: the nodes an edge into which changed, and
/// the nodes that read a recomputed node through an edge not fully corrupted. Testing one edge into the logits costs the
/// unembed; into a head, that head, the MLP and the unembed.
/// </para>
/// </summary>
public sealed class EdgePatchedRun : IEdgePatchedRun
{
    private readonly EdgePatching _patching;
    private readonly CircuitGraph _graph;
    private readonly float[] _alpha;
    private readonly Dictionary<CircuitReceiver, int> _receivers;
    private readonly Dictionary<CircuitSender, int> _senders;
    private readonly bool[] _changed;
    private readonly float[]?[][] _z;
    private readonly float[]?[] _mlp;
    private readonly float[]?[][] _post;
    private float[]? _logits;

    internal EdgePatchedRun(EdgePatching patching, float alpha)
    {
        _patching = patching;
        _graph = patching.Graph;
        _alpha = new float[_graph.Edges.Count];
        Array.Fill(_alpha, Checked(alpha));
        _receivers = _graph.Receivers.Select((r, i) => (r, i)).ToDictionary(x => x.r, x => x.i);
        _senders = _graph.Senders.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i);
        _changed = new bool[_graph.Receivers.Count];
        var c = patching.Config;
        _z = Enumerable.Range(0, c.NLayers).Select(_ => new float[]?[c.NHeads]).ToArray();
        _mlp = new float[]?[c.NLayers];
        _post = Enumerable.Range(0, c.NLayers).Select(_ => new float[]?[_graph.MlpGroups]).ToArray();
    }

    public CircuitGraph Graph => _graph;

    /// <summary>The mask of edge <paramref name="edge"/> (its index in <see cref="CircuitGraph.Edges"/>): 0 clean, 1 corrupted, or any finite value between or beyond.</summary>
    public float this[int edge]
    {
        get => _alpha[edge];
        set
        {
            if (_alpha[edge] == Checked(value)) return;
            _alpha[edge] = value;
            _changed[_receivers[_graph.Edges[edge].Receiver]] = true;
        }
    }

    /// <inheritdoc cref="this[int]"/>
    public float this[CircuitEdge edge]
    {
        get => this[edge.Index];
        set => this[edge.Index] = value;
    }

    /// <summary>Sets every edge's mask to <paramref name="alpha"/>.</summary>
    public void SetAll(float alpha)
    {
        for (var e = 0; e < _alpha.Length; e++) this[e] = alpha;
    }

    /// <summary>
    /// [rows, P]: the last position's logits with the masks as they are now, recomputing what changed since the last
    /// call. The array is this run's: read it, do not write it; a later call may return another.
    /// </summary>
    public float[] Logits()
    {
        var c = _patching.Config;
        var recomputed = new bool[_graph.Senders.Count];
        bool Stale(CircuitReceiver receiver) => _changed[_receivers[receiver]]
            || _graph.Into(receiver).Any(e => _alpha[e.Index] != 1 && recomputed[_senders[e.Sender]]);
        for (var l = 0; l < c.NLayers; l++)
        {
            for (var h = 0; h < c.NHeads; h++)
            {
                if (_z[l][h] is not null && !Stale(new(ReceiverKind.Query, l, h)) && !Stale(new(ReceiverKind.Key, l, h))
                    && !Stale(new(ReceiverKind.Value, l, h))) continue;
                _z[l][h] = Head(l, h);
                recomputed[_senders[new CircuitSender(SenderKind.Head, l, h)]] = true;
            }
            if (_graph.MlpGroups > 1)
            {
                for (var g = 0; g < _graph.MlpGroups; g++)
                {
                    if (_post[l][g] is not null && !Stale(_graph.MlpReceiver(l, g))) continue;
                    _post[l][g] = Post(_graph.MlpReceiver(l, g));
                    recomputed[_senders[_graph.MlpSender(l, g)]] = true;
                }
                continue;
            }
            if (_mlp[l] is not null && !Stale(new(ReceiverKind.Mlp, l))) continue;
            _mlp[l] = Mlp(l);
            recomputed[_senders[new CircuitSender(SenderKind.Mlp, l)]] = true;
        }
        if (_logits is null || Stale(new(ReceiverKind.Logits, c.NLayers - 1))) _logits = Unembed();
        Array.Clear(_changed);
        return _logits;
    }

    /// <summary>z [n, dHead] of head <paramref name="h"/> of block <paramref name="l"/> from its own q, k and v inputs; n = rows at the last position in the last block, else rows·T.</summary>
    private float[] Head(int l, int h)
    {
        var c = _patching.Config;
        int rows = _patching.Rows, t = c.NCtx, d = c.DModel, e = c.DHead, threads = _patching.Threads;
        var last = l == c.NLayers - 1;
        var weights = _patching.Weights;
        float[] Project(CircuitReceiver receiver, float[] weight)
        {
            var input = Input(receiver);
            var n = input.Length / d;
            var output = new float[n * e];
            Gemm.Multiply(input, weight, output, n, e, d, threads: threads);
            return output;
        }
        var q = Project(new(ReceiverKind.Query, l, h), weights.Query[l][h]);
        var k = Project(new(ReceiverKind.Key, l, h), weights.Key[l][h]);
        var v = Project(new(ReceiverKind.Value, l, h), weights.Value[l][h]);
        var queries = last ? 1 : t;
        var dims = new AttentionDims(rows, queries, t, Heads: 1, e, QueryOffset: t - queries);
        var scores = new float[rows * queries * t];
        var pattern = new float[scores.Length];
        var z = new float[rows * queries * e];
        AttentionMixing.Forward(dims, c.ScoreScale, c.CausalMask, q, k, v, scores, pattern, z, threads);
        return z;
    }

    /// <summary>The MLP output of block <paramref name="l"/> [n, dModel] from its input, n as for heads.</summary>
    private float[] Mlp(int l)
    {
        var c = _patching.Config;
        var post = Post(new(ReceiverKind.Mlp, l));
        var n = post.Length / c.DMlp;
        var output = new float[n * c.DModel];
        Gemm.Multiply(post, _patching.Weights.All.Blocks[l].MlpOut, output, n, c.DModel, c.DMlp, threads: _patching.Threads);
        return output;
    }

    /// <summary>
    /// The activations [n, dMlp] of every neuron of <paramref name="receiver"/>'s MLP from that receiver's input (for a
    /// group, only its own neurons' columns are its output; every column is computed so that each is the whole
    /// product's, bit for bit).
    /// </summary>
    private float[] Post(CircuitReceiver receiver)
    {
        var c = _patching.Config;
        var input = Input(receiver);
        int n = input.Length / c.DModel, threads = _patching.Threads;
        var pre = new float[n * c.DMlp];
        Gemm.Multiply(input, _patching.Weights.All.Blocks[receiver.Layer].MlpIn, pre, n, c.DMlp, c.DModel, threads: threads);
        var post = new float[pre.Length];
        ParallelRows.For(n, threads, (first, last) =>
        {
            var range = (first * c.DMlp)..(last * c.DMlp);
            Relu.Forward(pre.AsSpan(range), post.AsSpan(range));
        });
        return post;
    }

    /// <summary>[rows, P] from the final residual stream at the last position, through the final norm when the model has one.</summary>
    private float[] Unembed()
    {
        var c = _patching.Config;
        var weights = _patching.Weights.All;
        int rows = _patching.Rows, threads = _patching.Threads;
        var input = Input(new(ReceiverKind.Logits, c.NLayers - 1));
        if (c.FinalNorm)
        {
            var normalized = new float[input.Length];
            FinalNorm.Forward(rows, c.DModel, input, weights.NormWeight, normalized, new float[rows], threads);
            input = normalized;
        }
        var logits = new float[rows * c.DVocabOut];
        Gemm.Multiply(input, weights.Unembed, logits, rows, c.DVocabOut, c.DModel, threads: threads);
        return logits;
    }

    /// <summary>
    /// The input of <paramref name="receiver"/> [n, dModel] (n = rows·T where it reads every position, else rows): its
    /// senders' outputs, each mixed by its edge's mask, summed in the model's order.
    /// </summary>
    private float[] Input(CircuitReceiver receiver)
    {
        var c = _patching.Config;
        int rows = _patching.Rows, t = c.NCtx, d = c.DModel, threads = _patching.Threads, lastBlock = c.NLayers - 1;
        var every = _graph.ReadsEveryPosition(receiver);
        var n = every ? rows * t : rows;
        var alpha = new Dictionary<CircuitSender, float>();
        foreach (var edge in _graph.Into(receiver)) alpha[edge.Sender] = _alpha[edge.Index];
        var (clean, corrupt) = (_patching.CleanValues, _patching.CorruptValues);

        // Row i of the input reads row Source(i, perRow) of a sender kept for every position (perRow = T) or the last only (1).
        int Source(int i, int perRow) => every || perRow == 1 ? i : i * t + t - 1;
        // An embedding reaches the receiver at its own position only: a receiver read at the last position has one.
        float[] ByPosition(SenderKind kind) =>
            Enumerable.Range(0, t).Select(p => alpha.TryGetValue(new(kind, Position: p), out var a) ? a : float.NaN).ToArray();
        float[] embed = ByPosition(SenderKind.Embed), pos = ByPosition(SenderKind.PosEmbed);
        var x = new float[n * d];
        ParallelRows.For(n, threads, (first, last) =>
        {
            for (var i = first; i < last; i++)
            {
                var position = every ? i % t : t - 1;
                var from = Source(i, t) * d;
                var row = x.AsSpan(i * d, d);
                Mix(clean.Embed.AsSpan(from, d), corrupt.Embed.AsSpan(from, d), embed[position], row);
                if (c.PositionalEmbedding) AddMixed(clean.PosEmbed.AsSpan(from, d), corrupt.PosEmbed.AsSpan(from, d), pos[position], row);
            }
        });

        var blocks = receiver.Kind == ReceiverKind.Logits ? c.NLayers : receiver.Layer + (receiver.Kind == ReceiverKind.Mlp ? 1 : 0);
        for (var l = 0; l < blocks; l++)
        {
            int perRow = l == lastBlock ? 1 : t, e = c.DHead, width = c.AttentionWidth;
            var z = new float[n * width];
            var heads = Enumerable.Range(0, c.NHeads).Select(h => (Current: _z[l][h]!, Corrupt: corrupt.Z[l][h], Alpha: alpha[new(SenderKind.Head, l, h)])).ToArray();
            ParallelRows.For(n, threads, (first, last) =>
            {
                for (var i = first; i < last; i++)
                    for (var h = 0; h < heads.Length; h++)
                    {
                        var from = Source(i, perRow) * e;
                        Mix(heads[h].Current.AsSpan(from, e), heads[h].Corrupt.AsSpan(from, e), heads[h].Alpha, z.AsSpan(i * width + h * e, e));
                    }
            });
            var attention = new float[n * d];
            Gemm.Multiply(z, _patching.Weights.All.Blocks[l].Output, attention, n, d, width, threads: threads);
            ParallelRows.Add(x, attention, x, d, threads);
            if (receiver.Kind != ReceiverKind.Logits && l >= receiver.Layer) continue;
            if (_graph.MlpGroups > 1)
            {
                AddGroups(x, l, n, perRow, alpha, Source);
                continue;
            }
            var (current, corrupted, a) = (_mlp[l]!, corrupt.MlpOut[l], alpha[new(SenderKind.Mlp, l)]);
            ParallelRows.For(n, threads, (first, last) =>
            {
                for (var i = first; i < last; i++)
                {
                    var from = Source(i, perRow) * d;
                    AddMixed(current.AsSpan(from, d), corrupted.AsSpan(from, d), a, x.AsSpan(i * d, d));
                }
            });
        }
        return x;
    }

    /// <summary>
    /// x += block <paramref name="l"/>'s MLP output with its neurons split into groups: each group's activations clean
    /// (as computed in this run from its own input) or corrupted as its edge's mask says, then every neuron through
    /// W_out in one product, as the model multiplies: so all clean is the model's MLP output to the bit.
    /// </summary>
    private void AddGroups(float[] x, int l, int n, int perRow, Dictionary<CircuitSender, float> alpha, Func<int, int, int> source)
    {
        var c = _patching.Config;
        int m = c.DMlp, threads = _patching.Threads;
        var corrupt = _patching.CorruptValues.Post![l];
        var mixed = new float[n * m];
        var groups = Enumerable.Range(0, _graph.MlpGroups)
            .Select(g => (Current: _post[l][g]!, Alpha: alpha[_graph.MlpSender(l, g)], Neurons: _graph.MlpNeurons(g)))
            .ToArray();
        // A group's neurons need not be contiguous (a partition by key frequency): each neuron is mixed on its own,
        // by the same formula as a span, so contiguous groups give the values they always did.
        ParallelRows.For(n, threads, (first, last) =>
        {
            for (var i = first; i < last; i++)
                foreach (var (current, a, neurons) in groups)
                {
                    var at = source(i, perRow) * m;
                    for (var k = 0; k < neurons.Count; k++)
                    {
                        var j = neurons[k];
                        mixed[i * m + j] = a == 0 ? current[at + j] : a == 1 ? corrupt[at + j] : current[at + j] + a * (corrupt[at + j] - current[at + j]);
                    }
                }
        });
        var output = new float[n * c.DModel];
        Gemm.Multiply(mixed, _patching.Weights.All.Blocks[l].MlpOut, output, n, c.DModel, m, threads: threads);
        ParallelRows.Add(x, output, x, c.DModel, threads);
    }

    /// <summary>destination = α = 0 ? clean : α = 1 ? corrupted : clean + α·(corrupted − clean).</summary>
    private static void Mix(ReadOnlySpan<float> clean, ReadOnlySpan<float> corrupted, float alpha, Span<float> destination)
    {
        if (alpha == 0) clean.CopyTo(destination);
        else if (alpha == 1) corrupted.CopyTo(destination);
        else
            for (var i = 0; i < destination.Length; i++) destination[i] = clean[i] + alpha * (corrupted[i] - clean[i]);
    }

    /// <summary>sum += the mix of <see cref="Mix"/>, one rounding for the mix and one for the sum.</summary>
    private static void AddMixed(ReadOnlySpan<float> clean, ReadOnlySpan<float> corrupted, float alpha, Span<float> sum)
    {
        for (var i = 0; i < sum.Length; i++)
        {
            var mixed = alpha == 0 ? clean[i] : alpha == 1 ? corrupted[i] : clean[i] + alpha * (corrupted[i] - clean[i]);
            sum[i] += mixed;
        }
    }

    private static float Checked(float alpha) => float.IsFinite(alpha)
        ? alpha
        : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "An edge's mask is a finite number: 0 clean, 1 corrupted.");
}
