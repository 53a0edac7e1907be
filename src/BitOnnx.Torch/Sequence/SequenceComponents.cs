using BitOnnx.Core.Model;
using BitOnnx.Torch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Sequence;

/// <summary>A module of TransformerLens-named parameters of one dtype (float32 to train, float64 for checks).</summary>
public abstract class SequenceParameters(string name, ScalarType dtype) : nn.Module(name)
{
    protected ScalarType DType { get; } = dtype;

    protected Parameter Add(string parameterName, params long[] shape)
    {
        using var zeros = torch.zeros(shape, DType);
        var parameter = new Parameter(zeros, requires_grad: true);
        register_parameter(parameterName, parameter);
        return parameter;
    }
}

/// <summary>
/// TransformerLens' LayerNorm (normalization_type 'LN'): x − mean(x), divided by sqrt(mean((x − mean)²) + 1e-5),
/// times w plus b, over d_model.
/// </summary>
public sealed class SequenceLayerNorm : SequenceParameters
{
    public SequenceLayerNorm(int dModel, ScalarType dtype) : base("LayerNorm", dtype)
    {
        w = Add("w", dModel);
        b = Add("b", dModel);
    }

    public Parameter w { get; }
    public Parameter b { get; }

    public Tensor Forward(Tensor x)
    {
        var centred = x - x.mean([-1L], keepdim: true);
        using Scalar epsilon = SequenceModelConfig.LayerNormEpsilon.ToScalar(), one = 1.ToScalar();
        var scale = centred.Squared().mean([-1L], keepdim: true).add(epsilon, one).sqrt();
        return (centred / scale * w).Plus(b);
    }
}

/// <summary>
/// blocks.l.attn: W_Q, W_K, W_V [heads, d_model, d_head] with b_Q, b_K, b_V [heads, d_head]; W_O [heads, d_head,
/// d_model] with b_O [d_model]. Causal: query i reads keys 0..i. Scores scaled by 1 / sqrt(d_head), as TransformerLens.
/// </summary>
public sealed class SequenceAttention : SequenceParameters
{
    private readonly SequenceModelConfig _c;

    public SequenceAttention(SequenceModelConfig c, ScalarType dtype) : base("Attention", dtype)
    {
        _c = c;
        W_Q = Add("W_Q", c.NHeads, c.DModel, c.DHead);
        W_K = Add("W_K", c.NHeads, c.DModel, c.DHead);
        W_V = Add("W_V", c.NHeads, c.DModel, c.DHead);
        W_O = Add("W_O", c.NHeads, c.DHead, c.DModel);
        b_Q = Add("b_Q", c.NHeads, c.DHead);
        b_K = Add("b_K", c.NHeads, c.DHead);
        b_V = Add("b_V", c.NHeads, c.DHead);
        b_O = Add("b_O", c.DModel);
    }

    public Parameter W_Q { get; }
    public Parameter W_K { get; }
    public Parameter W_V { get; }
    public Parameter W_O { get; }
    public Parameter b_Q { get; }
    public Parameter b_K { get; }
    public Parameter b_V { get; }
    public Parameter b_O { get; }

    /// <summary>x [B, T, d_model] (normalized) → the attention output [B, T, d_model].</summary>
    internal Tensor Forward(Tensor x, HookPoints? hooks, int layer)
    {
        var c = _c;
        long batch = x.shape[0], t = x.shape[1], h = c.NHeads, e = c.DHead;
        var flat = x.reshape(-1, c.DModel);
        var q = Project(flat, W_Q, b_Q, batch, t);
        var k = Project(flat, W_K, b_K, batch, t);
        var v = Project(flat, W_V, b_V, batch, t);
        if (hooks is not null)
        {
            q = hooks.At(HookNames.Q(layer), q);
            k = hooks.At(HookNames.K(layer), k);
            v = hooks.At(HookNames.V(layer), v);
        }
        // Scores laid out keys before queries, [B, heads, T_k, T_q], so that the softmax runs over a dimension that is
        // not the last: libtorch's CPU softmax over a last dimension of a dozen entries is several times slower.
        var scores = k.permute(0, 2, 1, 3).matmul(q.permute(0, 2, 3, 1)).Times(c.ScoreScale);
        using (var future = torch.ones(t, t, ScalarType.Bool).tril(-1)) // key j after query i
            scores = scores.Filled(future, float.NegativeInfinity);
        if (hooks is not null) scores = hooks.At(HookNames.AttnScores(layer), scores.transpose(-1, -2)).transpose(-1, -2);
        var pattern = scores.softmax(-2);
        if (hooks is not null) pattern = hooks.At(HookNames.Pattern(layer), pattern.transpose(-1, -2)).transpose(-1, -2);
        var z = pattern.transpose(-1, -2).matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3); // [B, T, heads, d_head]
        if (hooks is not null) z = hooks.At(HookNames.Z(layer), z);
        var output = z.reshape(-1, h * e).mm(Quantized(W_O).reshape(h * e, c.DModel)).Plus(b_O).view(batch, t, c.DModel);
        return hooks is null ? output : hooks.At(HookNames.AttnOut(layer), output);
    }

    /// <summary>x [B·T, d_model] through one head-stacked weight [heads, d_model, d_head] and its bias → [B, T, heads, d_head].</summary>
    private Tensor Project(Tensor flat, Tensor weight, Tensor bias, long batch, long t) =>
        flat.mm(Quantized(weight).permute(1, 0, 2).reshape(_c.DModel, -1)).view(batch, t, _c.NHeads, _c.DHead).Plus(bias);

    private Tensor Quantized(Tensor latent) => StraightThroughQuantizer.Effective(latent, _c.Quantization, _c.BinaryScale);
}

/// <summary>blocks.l.mlp: W_in [d_model, d_mlp] with b_in, ReLU, W_out [d_mlp, d_model] with b_out.</summary>
public sealed class SequenceMlp : SequenceParameters
{
    private readonly SequenceModelConfig _c;

    public SequenceMlp(SequenceModelConfig c, ScalarType dtype) : base("Mlp", dtype)
    {
        _c = c;
        W_in = Add("W_in", c.DModel, c.DMlp);
        b_in = Add("b_in", c.DMlp);
        W_out = Add("W_out", c.DMlp, c.DModel);
        b_out = Add("b_out", c.DModel);
    }

    public Parameter W_in { get; }
    public Parameter b_in { get; }
    public Parameter W_out { get; }
    public Parameter b_out { get; }

    /// <summary>x [B, T, d_model] (normalized) → [B, T, d_model].</summary>
    internal Tensor Forward(Tensor x, HookPoints? hooks, int layer)
    {
        long batch = x.shape[0], t = x.shape[1];
        var pre = x.reshape(-1, _c.DModel).mm(Quantized(W_in)).Plus(b_in).view(batch, t, _c.DMlp);
        if (hooks is not null) pre = hooks.At(HookNames.MlpPre(layer), pre);
        var post = pre.relu();
        if (hooks is not null) post = hooks.At(HookNames.MlpPost(layer), post);
        var output = post.reshape(-1, _c.DMlp).mm(Quantized(W_out)).Plus(b_out).view(batch, t, _c.DModel);
        return hooks is null ? output : hooks.At(HookNames.MlpOut(layer), output);
    }

    private Tensor Quantized(Tensor latent) => StraightThroughQuantizer.Effective(latent, _c.Quantization, _c.BinaryScale);
}

/// <summary>blocks.l: resid_mid = resid_pre + attn(ln1(resid_pre)); resid_post = resid_mid + mlp(ln2(resid_mid)).</summary>
public sealed class SequenceBlock : nn.Module
{
    public SequenceBlock(SequenceModelConfig c, ScalarType dtype) : base("TransformerBlock")
    {
        ln1 = new SequenceLayerNorm(c.DModel, dtype);
        attn = new SequenceAttention(c, dtype);
        ln2 = new SequenceLayerNorm(c.DModel, dtype);
        mlp = new SequenceMlp(c, dtype);
        register_module("ln1", ln1);
        register_module("ln2", ln2);
        register_module("attn", attn);
        register_module("mlp", mlp);
    }

    // Fields named as registered: TorchSharp also registers Module-typed fields under their field names.
    private readonly SequenceLayerNorm ln1;
    private readonly SequenceAttention attn;
    private readonly SequenceLayerNorm ln2;
    private readonly SequenceMlp mlp;

    internal Tensor Forward(Tensor residPre, HookPoints? hooks, int layer)
    {
        if (hooks is not null) residPre = hooks.At(HookNames.ResidPre(layer), residPre);
        var residMid = residPre.Plus(attn.Forward(ln1.Forward(residPre), hooks, layer));
        if (hooks is not null) residMid = hooks.At(HookNames.ResidMid(layer), residMid);
        var residPost = residMid.Plus(mlp.Forward(ln2.Forward(residMid), hooks, layer));
        return hooks is null ? residPost : hooks.At(HookNames.ResidPost(layer), residPost);
    }
}
