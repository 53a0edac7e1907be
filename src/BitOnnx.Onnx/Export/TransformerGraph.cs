using BitOnnx.Core.Model;

namespace BitOnnx.Onnx.Export;

/// <summary>
/// Writes a transformer's forward pass as ONNX nodes, naming each activation by its TransformerLens hook so any of them
/// can become a probe output. Shapes: B is the symbolic batch, T = nCtx, D = dModel, H heads of E, M = dMlp.
/// </summary>
internal sealed class TransformerGraph(GraphWriter w, TransformerConfig c, ParameterSet latent, LinearEmitter linears)
{
    public const string TokensInput = "tokens";
    public const string EmbeddedInput = "embedded";

    /// <summary>Emits everything from the input to the logits; returns the hook names it defined.</summary>
    public void Emit(bool embeddedInput)
    {
        TensorRef embed;
        if (embeddedInput)
        {
            var input = w.G.Input(EmbeddedInput, w.Element, ["batch", c.NCtx, c.DModel]);
            embed = w.Node("Identity", [input], HookNames.Embed);
        }
        else
        {
            var tokens = w.G.Input(TokensInput, TensorElementType.Int64, ["batch", c.NCtx]);
            embed = w.Node("Gather", [Parameter(ParameterNames.Embed), tokens], HookNames.Embed, new NodeAttributes { { "axis", 0 } });
        }
        var resid = embed;
        if (c.PositionalEmbedding)
        {
            var pos = w.Node("Expand", [Parameter(ParameterNames.PosEmbed), w.Node("Shape", [embed])], HookNames.PosEmbed);
            resid = w.Node("Add", [embed, pos]);
        }
        for (var l = 0; l < c.NLayers; l++) resid = Block(l, w.Node("Identity", [resid], HookNames.ResidPre(l)));

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
        var last = w.Node("Gather", [final, w.G.Scalar("last_position", (long)(c.NCtx - 1))], attributes: new NodeAttributes { { "axis", 1L } });
        w.Node("MatMul", [last, Parameter(ParameterNames.Unembed)], HookNames.Logits);
    }

    private TensorRef Parameter(string name)
    {
        var info = latent.Info(name);
        return w.Values(name, latent.Slice(info).ToArray(), info.Shape.ToLongArray());
    }

    private TensorRef Block(int l, TensorRef residPre)
    {
        int h = c.NHeads, e = c.DHead;
        var headsShape = w.Shape($"blocks.{l}.attn.heads_shape", 0, 0, h, e);
        TensorRef Project(string weight, string hook) =>
            w.Node("Reshape", [linears.Emit(residPre, FoldedLinear.From(c, latent, weight), $"{hook}.flat"), headsShape], hook);
        var q = Project(ParameterNames.Query(l), HookNames.Q(l));
        var k = Project(ParameterNames.Key(l), HookNames.K(l));
        var v = Project(ParameterNames.Value(l), HookNames.V(l));

        // [B, T, H, E] → [B, H, T, E] (queries, values) and [B, H, E, T] (keys).
        var qh = w.Transpose(q, [0, 2, 1, 3]);
        var kh = w.Transpose(k, [0, 2, 3, 1]);
        var vh = w.Transpose(v, [0, 2, 1, 3]);
        var raw = w.Node("Mul", [w.Node("MatMul", [qh, kh]), w.Scalar($"blocks.{l}.attn.scale", c.ScoreScale)]);
        var scores = c.CausalMask
            ? w.Node("Add", [raw, w.Values($"blocks.{l}.attn.causal_mask", CausalMask(c.NCtx), c.NCtx, c.NCtx)], HookNames.AttnScores(l))
            : w.Node("Identity", [raw], HookNames.AttnScores(l));
        var pattern = w.Node("Softmax", [scores], HookNames.Pattern(l), new NodeAttributes { { "axis", -1L } });
        var z = w.Transpose(w.Node("MatMul", [pattern, vh]), [0, 2, 1, 3], HookNames.Z(l));
        var zFlat = w.Node("Reshape", [z, w.Shape($"blocks.{l}.attn.z_flat_shape", 0, 0, h * e)]);
        var attnOut = linears.Emit(zFlat, FoldedLinear.From(c, latent, ParameterNames.Output(l)), HookNames.AttnOut(l));
        var residMid = w.Node("Add", [residPre, attnOut], HookNames.ResidMid(l));

        var pre = linears.Emit(residMid, FoldedLinear.From(c, latent, ParameterNames.MlpIn(l)), HookNames.MlpPre(l));
        var post = w.Node("Relu", [pre], HookNames.MlpPost(l));
        var mlpOut = linears.Emit(post, FoldedLinear.From(c, latent, ParameterNames.MlpOut(l)), HookNames.MlpOut(l));
        return w.Node("Add", [residMid, mlpOut], HookNames.ResidPost(l));
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
