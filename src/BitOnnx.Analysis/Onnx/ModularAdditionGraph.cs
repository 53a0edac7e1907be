using BitOnnx.Analysis.Inputs;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;

namespace BitOnnx.Analysis.Onnx;

/// <summary>
/// What the analysis needs to know about an ONNX model of modular addition before running it: its modulus P
/// (<see cref="ExportMetadata.ReadP"/>), its blocks, and its input, <see cref="ModelContract.Tokens"/> int64 [batch, 3]
/// holding [a, b, =] with <c>=</c> the token P. Any producer that follows <see cref="ModelContract"/>'s names qualifies.
/// </summary>
public sealed record ModularAdditionGraph(OnnxModel Model, string Name, int P)
{
    /// <summary>Sequence length of the task: [a, b, =].</summary>
    public const int NCtx = 3;

    /// <summary>The model's metadata (config and export facts where a bitonnx export has them).</summary>
    public ExportMetadata Metadata { get; init; } = new(P);

    /// <summary>Transformer blocks: the config's n_layers, else counted from the graph's hook names.</summary>
    public int Blocks => Metadata.Config?.NLayers ?? AnalysedLayer.CountBlocks(Model.Graph.Node.SelectMany(n => n.Output));

    /// <summary>Reads P and checks the input of a token model; <paramref name="name"/> only names the model in errors.</summary>
    public static ModularAdditionGraph Read(OnnxModel model, string name)
    {
        var metadata = ExportMetadata.Read(model, name);
        RequireTokensInput(model, name);
        return new ModularAdditionGraph(model, name, metadata.P) { Metadata = metadata };
    }

    private static void RequireTokensInput(OnnxModel model, string name)
    {
        var inputs = model.Inputs.Where(i => model.Graph.Initializer.All(t => t.Name != i.Name)).ToArray();
        var tokens = inputs.FirstOrDefault(i => i.Name == ModelContract.Tokens);
        if (tokens is null)
        {
            string hint = inputs.Any(i => i.Name == ModelContract.Embedded)
                ? " It is an embedded-input export: give it as the embedded model (--embedded), and analyse the token export."
                : "";
            throw new ModelContractException(
                $"Model '{name}' takes {string.Join(", ", inputs.Select(i => i.ToString()))}; the analysis needs an input " +
                $"'{ModelContract.Tokens}' int64 [batch, {NCtx}] holding [a, b, =].{hint}");
        }
        if (tokens.ElementType != TensorElementType.Int64)
            throw new ModelContractException($"Model '{name}': input '{ModelContract.Tokens}' is {tokens.ElementType}; expected int64 [batch, {NCtx}].");
        if (tokens.Shape is { } shape && (shape.Count != 2 || shape[1].Size is long n && n != NCtx))
            throw new ModelContractException($"Model '{name}': input '{ModelContract.Tokens}' has shape {Dim.Format(shape)}; expected [batch, {NCtx}] ([a, b, =]).");
        if (inputs.Length > 1)
            throw new ModelContractException(
                $"Model '{name}' has inputs besides '{ModelContract.Tokens}' ({string.Join(", ", inputs.Where(i => i.Name != ModelContract.Tokens).Select(i => i.Name))}); the analysis feeds only the tokens.");
    }
}
