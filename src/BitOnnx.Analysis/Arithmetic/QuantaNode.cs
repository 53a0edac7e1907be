using System.Globalization;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis.Arithmetic;

/// <summary>
/// A node as Quirke et al. name it: an attention head (PnLnHn, its slice of blocks.L.attn.hook_z at one position) or an
/// MLP layer (PnLnMLP, blocks.L.mlp.hook_post at one position); <see cref="Head"/> is null for an MLP.
/// </summary>
public sealed record QuantaNode(int Position, int Layer, int? Head)
{
    public bool IsHead => Head is not null;

    /// <summary>"P14L0H1" or "P14L1MLP".</summary>
    public string Name => $"P{Position.ToString(CultureInfo.InvariantCulture)}{Component}";

    /// <summary>"L0H1" or "L1MLP": the node without its position, a row of a quanta map.</summary>
    public string Component => $"L{Layer.ToString(CultureInfo.InvariantCulture)}" + (Head is int h ? $"H{h.ToString(CultureInfo.InvariantCulture)}" : "MLP");

    /// <summary>The hook that holds the node's output: hook_z for a head, mlp.hook_post for an MLP.</summary>
    public string Hook => IsHead ? HookNames.Z(Layer) : HookNames.MlpPost(Layer);

    /// <summary>A mask over one row of <see cref="Hook"/> ([length, heads, d_head] or [length, d_mlp]) that selects the node.</summary>
    public float[] Mask(SequenceModelConfig c, int length)
    {
        if (Head is int h)
        {
            var mask = new float[length * c.NHeads * c.DHead];
            Array.Fill(mask, 1f, (Position * c.NHeads + h) * c.DHead, c.DHead);
            return mask;
        }
        var mlp = new float[length * c.DMlp];
        Array.Fill(mlp, 1f, Position * c.DMlp, c.DMlp);
        return mlp;
    }
}
