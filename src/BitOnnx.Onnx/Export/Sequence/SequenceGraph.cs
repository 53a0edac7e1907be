using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Onnx.Contract;

namespace BitOnnx.Onnx.Export.Sequence;

/// <summary>
/// Writes a <see cref="SequenceModelConfig"/> model's forward pass as ONNX nodes, each activation named by its
/// TransformerLens hook (<see cref="Core.Tasks.SequenceHooks"/>) so that any can become a probe or a writable hook.
/// Shapes: B the symbolic batch, T the symbolic sequence length (1..n_ctx), D = d_model, H heads of E, M = d_mlp.
/// The block linears are stored as the quantizer makes them (folded float: ±1, or {−γ, 0, +γ}), under their
/// TransformerLens names and shapes; the graph moves W_Q/W_K/W_V's heads axis inward, which ONNX Runtime folds at load.
/// </summary>
internal sealed class SequenceGraph(OnnxGraphBuilder g, SequenceModelConfig c, IReadOnlyDictionary<string, NamedTensor> parameters)
{
    private readonly Dictionary<string, TensorRef> _initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _quantized = c.Parameters().Where(p => p.Quantizable).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
    private TensorRef _causalMask;

    /// <summary>Emits everything from the <c>tokens</c> input to the logits [B, T, d_vocab_out] and returns the logits.</summary>
    public TensorRef Emit()
    {
        var tokens = g.Input(ModelContract.Tokens, TensorElementType.Int64, ["batch", "seq"]);
        var embed = g.Node("Gather", [Parameter("embed.W_E"), tokens], new NodeAttributes { { "axis", 0L } }, HookNames.Embed);
        // W_pos's first T rows, T the length of this call: a causal model reads any prefix of n_ctx positions.
        var length = g.Node("Slice", [g.Node("Shape", [tokens]), Longs("seq.start", 1), Longs("seq.end", 2)], output: "seq_length");
        var positions = g.Node("Slice", [Parameter("pos_embed.W_pos"), Longs("pos_embed.start", 0), length, Longs("pos_embed.axis", 0)]);
        var pos = g.Node("Expand", [positions, g.Node("Shape", [embed])], output: HookNames.PosEmbed);
        var mask = g.Initializer("attn.causal_mask", CausalMask(c.NCtx), [c.NCtx, c.NCtx]);
        _causalMask = g.Node("Slice", [mask, Longs("attn.causal_mask.start", 0, 0), g.Node("Concat", [length, length], new NodeAttributes { { "axis", 0L } }),
            Longs("attn.causal_mask.axes", 0, 1)], output: "attn.causal_mask.rows");
        var resid = g.Node("Add", [embed, pos]);
        for (int l = 0; l < c.NLayers; l++) resid = Block(l, g.Node("Identity", [resid], output: HookNames.ResidPre(l)));
        var normalized = LayerNorm(resid, "ln_final", HookNames.FinalNormalized);
        return Affine(normalized, Parameter("unembed.W_U"), "unembed.b_U", HookNames.Logits);
    }

    /// <summary>blocks.l: resid_mid = resid_pre + attn(ln1(resid_pre)); resid_post = resid_mid + mlp(ln2(resid_mid)).</summary>
    private TensorRef Block(int l, TensorRef residPre)
    {
        string b = $"blocks.{l}.";
        int h = c.NHeads, e = c.DHead;
        var x = LayerNorm(residPre, b + "ln1", null);
        var headsShape = Longs(b + "attn.heads_shape", 0, 0, h, e);
        TensorRef Project(string weight, string bias, string hook)
        {
            // [H, D, E] → [D, H·E], so that one MatMul gives every head; the bias [H, E] is added per head, as TransformerLens.
            var matrix = g.Node("Reshape", [g.Node("Transpose", [Parameter(b + weight)], new NodeAttributes { { "perm", new long[] { 1, 0, 2 } } }),
                Longs($"{b}{weight}.matrix_shape", c.DModel, h * e)]);
            var heads = g.Node("Reshape", [g.Node("MatMul", [x, matrix]), headsShape]);
            return g.Node("Add", [heads, Parameter(b + bias)], output: hook);
        }
        var q = Project("attn.W_Q", "attn.b_Q", HookNames.Q(l));
        var k = Project("attn.W_K", "attn.b_K", HookNames.K(l));
        var v = Project("attn.W_V", "attn.b_V", HookNames.V(l));
        // [B, T, H, E] → [B, H, T, E] (queries, values) and [B, H, E, T] (keys).
        var qh = Transpose(q, 0, 2, 1, 3);
        var kh = Transpose(k, 0, 2, 3, 1);
        var vh = Transpose(v, 0, 2, 1, 3);
        var raw = g.Node("Mul", [g.Node("MatMul", [qh, kh]), g.Scalar($"{b}attn.scale", (float)c.ScoreScale)]);
        var scores = g.Node("Add", [raw, _causalMask], output: HookNames.AttnScores(l));
        var pattern = g.Node("Softmax", [scores], new NodeAttributes { { "axis", -1L } }, HookNames.Pattern(l));
        var z = Transpose(g.Node("MatMul", [pattern, vh]), [0, 2, 1, 3], HookNames.Z(l));
        var zFlat = g.Node("Reshape", [z, Longs($"{b}attn.z_flat_shape", 0, 0, h * e)]);
        var wO = g.Node("Reshape", [Parameter(b + "attn.W_O"), Longs($"{b}attn.W_O.matrix_shape", h * e, c.DModel)]);
        var attnOut = Affine(zFlat, wO, b + "attn.b_O", HookNames.AttnOut(l));
        var residMid = g.Node("Add", [residPre, attnOut], output: HookNames.ResidMid(l));

        var pre = Affine(LayerNorm(residMid, b + "ln2", null), Parameter(b + "mlp.W_in"), b + "mlp.b_in", HookNames.MlpPre(l));
        var post = g.Node("Relu", [pre], output: HookNames.MlpPost(l));
        var mlpOut = Affine(post, Parameter(b + "mlp.W_out"), b + "mlp.b_out", HookNames.MlpOut(l));
        return g.Node("Add", [residMid, mlpOut], output: HookNames.ResidPost(l));
    }

    /// <summary>TransformerLens' LayerNorm over d_model, (x − mean) / sqrt(var + 1e-5) · w + b: ONNX's LayerNormalization (opset 17).</summary>
    private TensorRef LayerNorm(TensorRef x, string module, string? output) =>
        g.Node("LayerNormalization", [x, Parameter(module + ".w"), Parameter(module + ".b")],
            new NodeAttributes { { "axis", -1L }, { "epsilon", SequenceModelConfig.LayerNormEpsilon } }, output);

    private TensorRef Affine(TensorRef x, TensorRef weight, string bias, string output) =>
        g.Node("Add", [g.Node("MatMul", [x, weight]), Parameter(bias)], output: output);

    private TensorRef Transpose(TensorRef x, params long[] perm) => Transpose(x, perm, null);

    private TensorRef Transpose(TensorRef x, long[] perm, string? output) =>
        g.Node("Transpose", [x], new NodeAttributes { { "perm", perm } }, output);

    private TensorRef Longs(string name, params long[] values) => g.Initializer(name, values, [values.Length]);

    /// <summary>A parameter as an initializer under its own name: a block linear as the quantizer makes it, anything else as trained.</summary>
    private TensorRef Parameter(string name)
    {
        if (_initializers.TryGetValue(name, out var existing)) return existing;
        var tensor = parameters[name];
        var values = tensor.Data;
        if (_quantized.Contains(name) && c.Quantization != WeightQuantization.None)
        {
            values = new float[tensor.Data.Length];
            WeightQuantizer.Quantize(tensor.Data, values, c.Quantization, c.BinaryScale);
        }
        return _initializers[name] = g.Initializer(name, values, tensor.Shape.ToLongArray());
    }

    /// <summary>0 where key ≤ query, −∞ above the diagonal: added to the scores, as TransformerLens masks them.</summary>
    private static float[] CausalMask(int t)
    {
        var mask = new float[t * t];
        for (int i = 0; i < t; i++)
            for (int j = i + 1; j < t; j++) mask[i * t + j] = float.NegativeInfinity;
        return mask;
    }
}
