using BitOnnx.Analysis.Inputs;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Runtime;

namespace BitOnnx.Analysis.Onnx;

/// <summary>
/// What the analysis needs to know about an ONNX model of modular addition before running it: its modulus P (metadata
/// <c>bitonnx.p</c>, else the fixed width of the <c>logits</c> output) and its input, <c>tokens</c> int64 [batch, 3]
/// holding [a, b, =] with <c>=</c> the token P. Any producer that follows these names qualifies.
/// </summary>
public sealed record ModularAdditionGraph(OnnxModel Model, string Name, int P)
{
    /// <summary>The token input [batch, n_ctx].</summary>
    public const string TokensInput = "tokens";

    /// <summary>The embedded-sequence input [batch, n_ctx, d_model] of an embedded-input export.</summary>
    public const string EmbeddedInput = "embedded";

    /// <summary>Metadata key holding P.</summary>
    public const string PMetadataKey = "bitonnx.p";

    /// <summary>Metadata key holding the model config as JSON (snake_case keys such as n_heads).</summary>
    public const string ConfigMetadataKey = "bitonnx.config";

    /// <summary>Sequence length of the task: [a, b, =].</summary>
    public const int NCtx = 3;

    /// <summary>Reads P and checks the input of a token model; <paramref name="name"/> only names the model in errors.</summary>
    public static ModularAdditionGraph Read(OnnxModel model, string name) =>
        new(model, name, ReadP(model, name, requireTokens: true));

    /// <summary>P from metadata or from the logits width (<see cref="ModularAdditionMetadata.ReadP"/>), checked against each other when both exist.</summary>
    public static int ReadP(OnnxModel model, string name, bool requireTokens)
    {
        int p;
        try
        {
            p = ModularAdditionMetadata.ReadP(model, name);
        }
        catch (ModelSessionException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        if (requireTokens) RequireTokensInput(model, name);
        return p;
    }

    private static void RequireTokensInput(OnnxModel model, string name)
    {
        var inputs = model.Inputs.Where(i => model.Graph.Initializer.All(t => t.Name != i.Name)).ToArray();
        var tokens = inputs.FirstOrDefault(i => i.Name == TokensInput);
        if (tokens is null)
        {
            string hint = inputs.Any(i => i.Name == EmbeddedInput)
                ? " It is an embedded-input export: give it as the embedded model (--embedded), and analyse the token export."
                : "";
            throw new InvalidDataException(
                $"Model '{name}' takes {string.Join(", ", inputs.Select(i => i.ToString()))}; the analysis needs an input " +
                $"'{TokensInput}' int64 [batch, {NCtx}] holding [a, b, =].{hint}");
        }
        if (tokens.ElementType != TensorElementType.Int64)
            throw new InvalidDataException($"Model '{name}': input '{TokensInput}' is {tokens.ElementType}; expected int64 [batch, {NCtx}].");
        if (tokens.Shape is { } shape && (shape.Count != 2 || shape[1].Size is long n && n != NCtx))
            throw new InvalidDataException($"Model '{name}': input '{TokensInput}' has shape {Dim.Format(shape)}; expected [batch, {NCtx}] ([a, b, =]).");
        if (inputs.Length > 1)
            throw new InvalidDataException(
                $"Model '{name}' has inputs besides '{TokensInput}' ({string.Join(", ", inputs.Where(i => i.Name != TokensInput).Select(i => i.Name))}); the analysis feeds only the tokens.");
    }
}
