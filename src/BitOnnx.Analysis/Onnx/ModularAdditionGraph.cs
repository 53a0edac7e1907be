using System.Globalization;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Onnx;
using BitOnnx.Runtime;

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

    /// <summary>P from metadata or from the logits width, checked against each other when both exist.</summary>
    public static int ReadP(OnnxModel model, string name, bool requireTokens)
    {
        var logits = model.Outputs.FirstOrDefault(o => o.Name == ProbeNames.Logits)
            ?? throw new InvalidDataException(
                $"Model '{name}' has no output named 'logits'; outputs: {string.Join(", ", model.Outputs.Select(o => o.Name))}.");
        int? width = logits.Shape is { Count: >= 2 } s && s[^1].Size is long w ? (int)w : null;
        int? fromMetadata = null;
        if (model.Metadata.TryGetValue(PMetadataKey, out var text))
        {
            fromMetadata = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed >= 2
                ? parsed
                : throw new InvalidDataException($"Model '{name}': metadata {PMetadataKey} = '{text}' is not a modulus (a whole number ≥ 2).");
        }
        if (fromMetadata is int m && width is int lw && m != lw)
            throw new InvalidDataException($"Model '{name}': metadata says P = {m} but its logits have {lw} columns.");
        int p = fromMetadata ?? width ?? throw new InvalidDataException(
            $"Model '{name}' does not say its modulus: it has no '{PMetadataKey}' metadata and its logits output has no fixed width.");
        if (requireTokens) RequireTokensInput(model, name);
        return p;
    }

    /// <summary>Sessions the analysis opens: all cores, full graph optimization, MatMulNBits kept at float32 accuracy.</summary>
    public static SessionOptions DefaultSessionOptions()
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 0 };
        // ORT may rewrite int8 DequantizeLinear→MatMul into MatMulNBits at a lower accuracy level; keep float32.
        options.AddSessionConfigEntry("session.qdq_matmulnbits_accuracy_level", "1");
        return options;
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
