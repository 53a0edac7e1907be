using BitOnnx.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Model;

/// <summary>
/// blocks.l.attn: W_Q, W_K, W_V [n_heads, d_model, d_head] and W_O [n_heads, d_head, d_model], no biases. Queries are
/// taken at positions offset.. only (the last position in training); keys and values at every position.
/// Shapes: q, z [B, Tq, heads, dHead]; k, v [B, T, heads, dHead]; scores, pattern [B, Tq, T, heads] (hooks: [B, heads, Tq, T]).
/// </summary>
public sealed class Attention : NamedParameters
{
    private readonly TransformerConfig _c;

    public Attention(TransformerConfig c) : base("Attention")
    {
        _c = c;
        W_Q = Add("W_Q", c.NHeads, c.DModel, c.DHead);
        W_K = Add("W_K", c.NHeads, c.DModel, c.DHead);
        W_V = Add("W_V", c.NHeads, c.DModel, c.DHead);
        W_O = Add("W_O", c.NHeads, c.DHead, c.DModel);
    }

    public Parameter W_Q { get; }
    public Parameter W_K { get; }
    public Parameter W_V { get; }
    public Parameter W_O { get; }

    /// <summary>
    /// Returns the attention output [B, Tq, dModel]. With hook points each activation goes through its own, in forward
    /// order; scores and pattern in the hooks' [B, heads, Tq, T] and back (two permutes, views, when nothing is written).
    /// </summary>
    internal Tensor Forward(BlockInput input, long offset, HookPoints? hooks, int layer)
    {
        var c = _c;
        long h = c.NHeads, e = c.DHead, t = c.NCtx, tq = t - offset;
        var q = input.ProjectFrom(HeadsInward(W_Q), offset).view(-1, tq, h, e);
        var k = input.ProjectAll(HeadsInward(W_K)).view(-1, t, h, e);
        var v = input.ProjectAll(HeadsInward(W_V)).view(-1, t, h, e);
        if (hooks is not null)
        {
            q = hooks.At(HookNames.Q(layer), q);
            k = hooks.At(HookNames.K(layer), k);
            v = hooks.At(HookNames.V(layer), v);
        }
        // Scores and the weighted sum as broadcast products over [B, Tq, T, heads, dHead]: with Tq = 1, T = 3 and
        // dHead = 32 these tiny per-head products are several times faster than batched matmuls of permuted views.
        var scores = (q.unsqueeze(2) * k.unsqueeze(1)).sum(-1).Times(c.ScoreScale); // [B, Tq, T, heads]
        // Query i (at position offset + i) sees keys 0..offset + i; the last position sees all, so training needs no mask.
        if (c.CausalMask && tq > 1)
        {
            using var mask = torch.ones(tq, t, ScalarType.Bool).triu(offset + 1).view(1, tq, t, 1);
            scores = scores.Filled(mask, float.NegativeInfinity);
        }
        if (hooks is not null) scores = hooks.At(HookNames.AttnScores(layer), scores.permute(0, 3, 1, 2)).permute(0, 2, 3, 1);
        var pattern = scores.softmax(2);
        if (hooks is not null) pattern = hooks.At(HookNames.Pattern(layer), pattern.permute(0, 3, 1, 2)).permute(0, 2, 3, 1);
        var z = (pattern.unsqueeze(-1) * v.unsqueeze(1)).sum(2); // [B, Tq, heads, dHead]
        if (hooks is not null) z = hooks.At(HookNames.Z(layer), z);
        var output = z.reshape(-1, h * e).mm(Quantized(W_O).reshape(h * e, c.DModel)).view(-1, tq, c.DModel);
        return hooks is null ? output : hooks.At(HookNames.AttnOut(layer), output);
    }

    private Tensor Quantized(Tensor latent) => StraightThroughQuantizer.Effective(latent, _c.Quantization, _c.BinaryScale);

    /// <summary>[heads, dModel, dHead] → [dModel, heads·dHead], so one product serves every head.</summary>
    private Tensor HeadsInward(Tensor perHead) => Quantized(perHead).permute(1, 0, 2).reshape(_c.DModel, -1);
}

/// <summary>blocks.l.mlp: W_in [d_model, d_mlp], ReLU, W_out [d_mlp, d_model], no biases.</summary>
public sealed class Mlp : NamedParameters
{
    private readonly TransformerConfig _c;

    public Mlp(TransformerConfig c) : base("Mlp")
    {
        _c = c;
        W_in = Add("W_in", c.DModel, c.DMlp);
        W_out = Add("W_out", c.DMlp, c.DModel);
    }

    public Parameter W_in { get; }
    public Parameter W_out { get; }

    /// <summary>x [B, Tq, dModel] → [B, Tq, dModel]. A write into hook_pre reaches hook_post through the ReLU.</summary>
    internal Tensor Forward(Tensor x, HookPoints? hooks, int layer)
    {
        var tq = x.shape[1];
        var pre = x.reshape(-1, _c.DModel).mm(Quantized(W_in));
        if (hooks is not null) pre = hooks.At(HookNames.MlpPre(layer), pre.view(-1, tq, _c.DMlp)).view(-1, _c.DMlp);
        var post = pre.relu();
        if (hooks is not null) post = hooks.At(HookNames.MlpPost(layer), post.view(-1, tq, _c.DMlp)).view(-1, _c.DMlp);
        var output = post.mm(Quantized(W_out)).view(-1, tq, _c.DModel);
        return hooks is null ? output : hooks.At(HookNames.MlpOut(layer), output);
    }

    private Tensor Quantized(Tensor latent) => StraightThroughQuantizer.Effective(latent, _c.Quantization, _c.BinaryScale);
}

/// <summary>blocks.l: attention then MLP, each added to the residual stream (no layer norms, as both presets).</summary>
public sealed class TransformerBlock : nn.Module
{
    public TransformerBlock(TransformerConfig c) : base("TransformerBlock")
    {
        attn = new Attention(c);
        mlp = new Mlp(c);
        register_module("attn", attn);
        register_module("mlp", mlp);
    }

    // Fields named as registered: TorchSharp also registers Module-typed fields under their field names.
    private readonly Attention attn;
    private readonly Mlp mlp;

    /// <summary>The residual stream after the block at positions offset..: [B, T − offset, dModel].</summary>
    internal Tensor Forward(BlockInput input, long offset, HookPoints? hooks, int layer)
    {
        if (hooks is not null) input = input.Hooked(hooks, HookNames.ResidPre(layer));
        var residQuery = input.From(offset);
        var residMid = residQuery.Plus(attn.Forward(input, offset, hooks, layer));
        if (hooks is not null) residMid = hooks.At(HookNames.ResidMid(layer), residMid);
        var residPost = residMid.Plus(mlp.Forward(residMid, hooks, layer));
        return hooks is null ? residPost : hooks.At(HookNames.ResidPost(layer), residPost);
    }
}
