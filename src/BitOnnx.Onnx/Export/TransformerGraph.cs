using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;

namespace BitOnnx.Onnx.Export;

/// <summary>
/// Writes a transformer's forward pass as ONNX nodes, naming each activation by its TransformerLens hook so any of them
/// can become a probe output. Shapes: B is the symbolic batch, T = nCtx, D = dModel, H heads of E, M = dMlp.
/// <para>With <c>lastPositionOnly</c> (a graph without probes) it takes the engine's two exact shortcuts: block 0's
/// Q, K and V are read from per-(position, token) tables computed in the graph from W_E (+ W_pos) and the folded
/// weights, and the last block computes its query, attention output and MLP at the last position only.</para>
/// </summary>
internal sealed class TransformerGraph(GraphWriter w, TransformerConfig c, ParameterSet latent, LinearEmitter linears, bool lastPositionOnly,
    bool precomputedTables = false)
{
    private readonly Dictionary<string, TensorRef> _parameters = new();

    /// <summary>
    /// Emits everything from the input to the logits and returns the logits. <paramref name="tokens"/> [B, T] made
    /// elsewhere in the graph replaces the <c>tokens</c> input.
    /// </summary>
    public TensorRef Emit(bool embeddedInput, TensorRef? tokens = null)
    {
        if (lastPositionOnly && !embeddedInput) return EmitShortcut(tokens);
        TensorRef embed;
        if (embeddedInput)
        {
            var input = w.G.Input(ModelContract.Embedded, w.Element, ["batch", c.NCtx, c.DModel]);
            embed = w.Node("Identity", [input], HookNames.Embed);
            // No node reads it: W_E as the forward pass uses it, so a reader of the file can turn tokens into this input.
            var info = latent.Info(ParameterNames.Embed);
            var values = c.QuantScope == QuantScope.All ? FoldedLinear.From(c, latent, ParameterNames.Embed).Values : latent.Slice(info).ToArray();
            w.Values(ParameterNames.Embed, values, info.Shape.ToLongArray());
        }
        else
        {
            var input = tokens ?? w.G.Input(ModelContract.Tokens, TensorElementType.Int64, ["batch", c.NCtx]);
            embed = w.Node("Gather", [Embedding(), input], HookNames.Embed, new NodeAttributes { { "axis", 0 } });
        }
        var resid = embed;
        if (c.PositionalEmbedding)
        {
            var pos = w.Node("Expand", [Parameter(ParameterNames.PosEmbed), w.Node("Shape", [embed])], HookNames.PosEmbed);
            resid = w.Node("Add", [embed, pos]);
        }
        for (var l = 0; l < c.NLayers; l++)
        {
            var residPre = w.Node("Identity", [resid], HookNames.ResidPre(l));
            var last = lastPositionOnly && l == c.NLayers - 1;
            resid = Block(l, residPre, last ? LastRow(residPre, l) : residPre, null, last ? 1 : c.NCtx);
        }
        return Unembed(resid);
    }

    /// <summary>The graph without probes: block 0 from tables, the last block at the last position.</summary>
    private TensorRef EmitShortcut(TensorRef? tokensMadeElsewhere)
    {
        var tokens = tokensMadeElsewhere ?? w.G.Input(ModelContract.Tokens, TensorElementType.Int64, ["batch", c.NCtx]);
        // Row t·dVocab + token of the embed table is W_E[token] + W_pos[t]; without W_pos every position shares W_E.
        TensorRef table, rows;
        if (c.PositionalEmbedding)
        {
            var grid = w.Node("Add", [
                w.Node("Unsqueeze", [Embedding(), w.Shape("embed_table.vocab_axis", 0)]),
                w.Node("Unsqueeze", [Parameter(ParameterNames.PosEmbed), w.Shape("embed_table.position_axis", 1)])]);
            table = w.Node("Reshape", [grid, w.Shape("embed_table.shape", c.NCtx * c.DVocab, c.DModel)], "embed_table");
            var offsets = Enumerable.Range(0, c.NCtx).Select(t => (long)t * c.DVocab).ToArray();
            rows = w.Node("Add", [tokens, w.G.Initializer("embed_table.position_offsets", offsets, [1, c.NCtx])], "embed_table.rows");
        }
        else
        {
            table = Embedding();
            rows = tokens;
        }
        TensorRef Gather(TensorRef source, TensorRef index, string? output = null) =>
            w.Node("Gather", [source, index], output, new NodeAttributes { { "axis", 0L } });

        var onlyBlock = c.NLayers == 1;
        var lastRows = w.Node("Slice", [rows, w.Shape("last_position.start", c.NCtx - 1), w.Shape("last_position.end", c.NCtx), w.Shape("last_position.axis", 1)]);
        var tables = new TableInputs(table, EmbedTableValues(), rows, onlyBlock ? lastRows : rows, Gather);
        var residQuery = Gather(table, onlyBlock ? lastRows : rows);
        var resid = Block(0, residQuery, residQuery, tables, onlyBlock ? 1 : c.NCtx);
        for (var l = 1; l < c.NLayers; l++)
        {
            var last = l == c.NLayers - 1;
            resid = Block(l, resid, last ? LastRow(resid, l) : resid, null, last ? 1 : c.NCtx);
        }
        return Unembed(resid);
    }

    /// <summary>Block 0's projections read from the embed table: Q/K/V tables, and the rows to gather for keys and queries.</summary>
    private sealed record TableInputs(TensorRef Table, float[] TableValues, TensorRef KeyRows, TensorRef QueryRows,
        Func<TensorRef, TensorRef, string?, TensorRef> Gather);

    /// <summary>The embed table's values [positions·dVocab, dModel], as the graph's embed_table holds them.</summary>
    private float[] EmbedTableValues()
    {
        // With quant scope all the forward pass embeds through the quantized W_E, so the tables must too.
        var embed = c.QuantScope == QuantScope.All
            ? FoldedLinear.From(c, latent, ParameterNames.Embed).Values
            : latent.Slice(latent.Info(ParameterNames.Embed)).ToArray();
        if (!c.PositionalEmbedding) return embed;
        var pos = latent.Slice(latent.Info(ParameterNames.PosEmbed));
        var table = new float[c.NCtx * c.DVocab * c.DModel];
        for (var t = 0; t < c.NCtx; t++)
            for (var v = 0; v < c.DVocab; v++)
                for (var d = 0; d < c.DModel; d++)
                    table[(t * c.DVocab + v) * c.DModel + d] = embed[v * c.DModel + d] + pos[t * c.DModel + d];
        return table;
    }

    /// <summary>A Q/K/V table: computed by the graph from the embed table, or stored as computed here.</summary>
    private TensorRef ProjectedTable(TableInputs tables, FoldedLinear linear, string name)
    {
        if (!precomputedTables) return linears.EmitWithFloatActivations(tables.Table, linear, name);
        var rows = tables.TableValues.Length / c.DModel;
        return w.Values(name, linear.Apply(tables.TableValues, rows), rows, linear.Columns);
    }

    private TensorRef LastRow(TensorRef x, int l) =>
        w.Node("Slice", [x, w.Shape($"blocks.{l}.last.start", c.NCtx - 1), w.Shape($"blocks.{l}.last.end", c.NCtx), w.Shape($"blocks.{l}.last.axis", 1)]);

    private TensorRef Unembed(TensorRef resid)
    {
        var final = resid;
        if (c.FinalNorm)
        {
            // x / max(‖x‖₂, 1e-12) · g · sqrt(dModel), the same arithmetic as torch's F.normalize then the gain.
            var norm = w.Node("ReduceL2", [resid, w.Shape("ln_final.axes", -1)], attributes: new NodeAttributes { { "keepdims", 1L } });
            var clamped = w.Node("Max", [norm, w.Scalar("ln_final.epsilon", 1e-12)]);
            var unit = w.Node("Div", [resid, clamped]);
            var gain = w.Node("Mul", [Parameter(ParameterNames.FinalNormWeight), w.Scalar("ln_final.sqrt_d_model", Math.Sqrt(c.DModel))]);
            final = w.Node("Mul", [unit, gain], HookNames.FinalNormalized);
        }
        var lastIndex = lastPositionOnly ? 0L : c.NCtx - 1;
        var last = w.Node("Gather", [final, w.G.Scalar("last_position", lastIndex)], attributes: new NodeAttributes { { "axis", 1L } });
        if (c.QuantScope == QuantScope.All)
            return linears.EmitWithFloatActivations(last, FoldedLinear.From(c, latent, ParameterNames.Unembed), HookNames.Logits);
        return w.Node("MatMul", [last, Parameter(ParameterNames.Unembed)], HookNames.Logits);
    }

    /// <summary>W_E [dVocab, dModel] as the forward pass uses it: latent floats, or with quant scope all the folded
    /// quantized table in the export's weight format.</summary>
    private TensorRef Embedding()
    {
        if (c.QuantScope != QuantScope.All) return Parameter(ParameterNames.Embed);
        if (_parameters.TryGetValue(ParameterNames.Embed, out var existing)) return existing;
        return _parameters[ParameterNames.Embed] = linears.Matrix(FoldedLinear.From(c, latent, ParameterNames.Embed));
    }

    private TensorRef Parameter(string name)
    {
        if (_parameters.TryGetValue(name, out var existing)) return existing;
        var info = latent.Info(name);
        return _parameters[name] = w.Values(name, latent.Slice(info).ToArray(), info.Shape.ToLongArray());
    }

    /// <summary>
    /// One block. <paramref name="residPre"/> [B, T, D] feeds keys and values; <paramref name="residQuery"/> [B, Tq, D] is
    /// the rows that get queries and a residual stream (all T, or the last one). With <paramref name="tables"/>, Q/K/V
    /// are gathered from the projected embed table instead of projected row by row.
    /// </summary>
    private TensorRef Block(int l, TensorRef residPre, TensorRef residQuery, TableInputs? tables, int queryPositions)
    {
        int h = c.NHeads, e = c.DHead;
        var headsShape = w.Shape($"blocks.{l}.attn.heads_shape", 0, 0, h, e);
        TensorRef Project(string weight, string hook, bool query)
        {
            var linear = FoldedLinear.From(c, latent, weight);
            var flat = tables is null
                ? linears.Emit(query ? residQuery : residPre, linear, $"{hook}.flat")
                : tables.Gather(ProjectedTable(tables, linear, $"{hook}.table"), query ? tables.QueryRows : tables.KeyRows, $"{hook}.flat");
            return w.Node("Reshape", [flat, headsShape], hook);
        }
        var q = Project(ParameterNames.Query(l), HookNames.Q(l), query: true);
        var k = Project(ParameterNames.Key(l), HookNames.K(l), query: false);
        var v = Project(ParameterNames.Value(l), HookNames.V(l), query: false);

        var z = queryPositions == 1 ? LastQueryMixing(l, q, k, v) : Mixing(l, q, k, v);
        var zFlat = w.Node("Reshape", [z, w.Shape($"blocks.{l}.attn.z_flat_shape", 0, 0, h * e)]);
        var attnOut = linears.Emit(zFlat, FoldedLinear.From(c, latent, ParameterNames.Output(l)), HookNames.AttnOut(l));
        var residMid = w.Node("Add", [residQuery, attnOut], HookNames.ResidMid(l));

        var pre = linears.Emit(residMid, FoldedLinear.From(c, latent, ParameterNames.MlpIn(l)), HookNames.MlpPre(l));
        var post = w.Node("Relu", [pre], HookNames.MlpPost(l));
        var mlpOut = linears.Emit(post, FoldedLinear.From(c, latent, ParameterNames.MlpOut(l)), HookNames.MlpOut(l));
        return w.Node("Add", [residMid, mlpOut], HookNames.ResidPost(l));
    }

    /// <summary>Scores, softmax and weighted values for queries at every position, under TransformerLens hook names.</summary>
    private TensorRef Mixing(int l, TensorRef q, TensorRef k, TensorRef v)
    {
        // [B, T, H, E] → [B, H, T, E] (queries, values) and [B, H, E, T] (keys).
        var qh = w.Transpose(q, [0, 2, 1, 3]);
        var kh = w.Transpose(k, [0, 2, 3, 1]);
        var vh = w.Transpose(v, [0, 2, 1, 3]);
        var raw = w.Node("Mul", [w.Node("MatMul", [qh, kh]), w.Scalar($"blocks.{l}.attn.scale", c.ScoreScale)]);
        var scores = c.CausalMask
            ? w.Node("Add", [raw, w.Values($"blocks.{l}.attn.causal_mask", CausalMask(c.NCtx), c.NCtx, c.NCtx)], HookNames.AttnScores(l))
            : w.Node("Identity", [raw], HookNames.AttnScores(l));
        var pattern = w.Node("Softmax", [scores], HookNames.Pattern(l), new NodeAttributes { { "axis", -1L } });
        return w.Transpose(w.Node("MatMul", [pattern, vh]), [0, 2, 1, 3], HookNames.Z(l));
    }

    /// <summary>
    /// The same for one query at the last position, which sees every key (no mask), written as broadcast products and
    /// sums: a batched MatMul of B·H products of 1×E by E×T costs far more in dispatch than the arithmetic.
    /// q [B, 1, H, E], k and v [B, T, H, E] → z [B, 1, H, E].
    /// </summary>
    private TensorRef LastQueryMixing(int l, TensorRef q, TensorRef k, TensorRef v)
    {
        var dots = w.Node("ReduceSum", [w.Node("Mul", [q, k]), w.Shape($"blocks.{l}.attn.d_head_axis", 3)], attributes: new NodeAttributes { { "keepdims", 0L } });
        var scores = w.Node("Mul", [dots, w.Scalar($"blocks.{l}.attn.scale", c.ScoreScale)], $"blocks.{l}.attn.last_scores");
        var pattern = w.Node("Softmax", [scores], $"blocks.{l}.attn.last_pattern", new NodeAttributes { { "axis", 1L } });
        var weights = w.Node("Unsqueeze", [pattern, w.Shape($"blocks.{l}.attn.weight_axis", 3)]);
        return w.Node("ReduceSum", [w.Node("Mul", [weights, v]), w.Shape($"blocks.{l}.attn.position_axis", 1)], HookNames.Z(l),
            new NodeAttributes { { "keepdims", 1L } });
    }

    /// <summary>0 where key ≤ query, −∞ above the diagonal: added to the scores, as TransformerLens masks them.</summary>
    private static float[] CausalMask(int t)
    {
        var mask = new float[t * t];
        for (var i = 0; i < t; i++)
            for (var j = i + 1; j < t; j++) mask[i * t + j] = float.NegativeInfinity;
        return mask;
    }
}
