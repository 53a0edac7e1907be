using BitOnnx.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Model;

/// <summary>A module holding TransformerLens-named parameters; the names become state_dict keys under the module's path.</summary>
public abstract class NamedParameters(string name) : nn.Module(name)
{
    protected Parameter Add(string parameterName, params long[] shape)
    {
        using var zeros = torch.zeros(shape);
        var parameter = new Parameter(zeros, requires_grad: true);
        register_parameter(parameterName, parameter);
        return parameter;
    }
}

/// <summary>embed.W_E [d_vocab, d_model]</summary>
public sealed class Embed : NamedParameters
{
    public Embed(TransformerConfig c) : base("Embed") => W_E = Add("W_E", c.DVocab, c.DModel);
    public Parameter W_E { get; }
}

/// <summary>pos_embed.W_pos [n_ctx, d_model]</summary>
public sealed class PosEmbed : NamedParameters
{
    public PosEmbed(TransformerConfig c) : base("PosEmbed") => W_pos = Add("W_pos", c.NCtx, c.DModel);
    public Parameter W_pos { get; }
}

/// <summary>unembed.W_U [d_model, d_vocab_out]</summary>
public sealed class Unembed : NamedParameters
{
    public Unembed(TransformerConfig c) : base("Unembed") => W_U = Add("W_U", c.DModel, c.DVocabOut);
    public Parameter W_U { get; }
}

/// <summary>
/// ln_final.w [d_model]: Li (2024)'s RMSNorm y = x / max(‖x‖₂, 1e-12) · w · sqrt(d_model) (torch's F.normalize, then the
/// gain), the same operations in the same order as the engine's FinalNorm.
/// </summary>
public sealed class FinalNorm : NamedParameters
{
    /// <summary>torch's F.normalize default, as the engine's FinalNorm.</summary>
    public const float Epsilon = 1e-12f;

    private readonly float _gain;

    public FinalNorm(TransformerConfig c) : base("FinalNorm")
    {
        w = Add("w", c.DModel);
        _gain = MathF.Sqrt(c.DModel);
    }

    public Parameter w { get; }

    /// <summary>x [..., d_model] → the same shape.</summary>
    public Tensor Forward(Tensor x)
    {
        var inverse = x.Squared().sum(-1, keepdim: true).sqrt().AtLeast(Epsilon).reciprocal();
        return x * inverse.Times(_gain) * w;
    }
}

/// <summary>blocks: the transformer blocks, registered as "0", "1", ... so that keys read blocks.0.attn.W_Q.</summary>
public sealed class BlockList : nn.Module
{
    public BlockList(TransformerConfig c) : base("Blocks")
    {
        Blocks = Enumerable.Range(0, c.NLayers).Select(l => new TransformerBlock(c)).ToArray();
        for (var l = 0; l < Blocks.Count; l++) register_module(l.ToString(System.Globalization.CultureInfo.InvariantCulture), Blocks[l]);
    }

    public IReadOnlyList<TransformerBlock> Blocks { get; }
}
