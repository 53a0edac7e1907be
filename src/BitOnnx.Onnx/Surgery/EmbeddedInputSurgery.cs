using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;

namespace BitOnnx.Onnx.Surgery;

/// <summary>
/// Rewrites a token model into the same function of its token embeddings: <see cref="GraphSurgery.CutAt"/> at
/// <c>hook_embed</c>, whose producer (the embedding Gather) is replaced by a graph input <c>embedded</c>
/// [batch, n_ctx, d_model] feeding an Identity named <c>hook_embed</c>, so everything downstream (positional embeddings
/// included) is untouched; the only output kept is <c>logits</c>; nodes, initializers and inputs that no longer reach it
/// (the Gather, W_E, <c>tokens</c>) are removed. The metadata then says the model takes <c>embedded</c>.
/// </summary>
public static class EmbeddedInputSurgery
{
    /// <summary>The rewritten model (a copy) and the width of one embedded token.</summary>
    /// <exception cref="ModelContractException">The model computes no <c>hook_embed</c>, or its logits read the tokens by another path.</exception>
    public static OnnxModel Apply(OnnxModel model, string name, out int dModel)
    {
        OnnxModel cut;
        try
        {
            cut = GraphSurgery.CutAt(model, name, HookNames.Embed, [HookNames.Logits], ModelContract.Embedded);
        }
        catch (ModelContractException e)
        {
            throw new ModelContractException(
                $"{e.Message} Its logits cannot be taken as a function of the token embeddings; give an embedded-input export instead (bitonnx export --embedded-input --double).");
        }
        var input = cut.Inputs[0];
        if (input.Shape is not { Count: 3 } shape || shape[2].Size is not long width)
            throw new ModelContractException($"Model '{name}': '{HookNames.Embed}' has shape {Dim.Format(input.Shape)}; expected [batch, n_ctx, d_model].");
        dModel = checked((int)width);
        // The export says it takes tokens; the rewritten model takes the embeddings.
        (ExportMetadata.Read(model, name) with { Input = ModelContract.Embedded }).WriteInto(cut.Proto);
        return cut;
    }
}
