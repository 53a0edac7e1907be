using BitOnnx.Core.Model;

namespace BitOnnx.Onnx.Contract;

/// <summary>
/// The names an exported model is read by: its inputs and outputs. The exporter writes them through this class and
/// every reader (ModelSession, the analysis, the ML.NET predictor) reads them through it; metadata keys live in
/// <see cref="ExportMetadata"/>.
/// </summary>
public static class ModelContract
{
    /// <summary>Input: the token rows, int64 [batch, n_ctx].</summary>
    public const string Tokens = "tokens";

    /// <summary>Input of an embedded-input export: the token embeddings (what hook_embed holds), [batch, n_ctx, d_model].</summary>
    public const string Embedded = "embedded";

    /// <summary>Inputs of the pair signature (ML.NET): the two addends, int64 [batch, 1].</summary>
    public const string PairA = "A";

    /// <inheritdoc cref="PairA"/>
    public const string PairB = "B";

    /// <summary>Output: the last position's logits, [batch, P]; TransformerLens' name.</summary>
    public const string Logits = HookNames.Logits;

    /// <summary>Output of the pair signature: softmax of the logits, [batch, P] (ML.NET's multiclass name).</summary>
    public const string Score = "Score";

    /// <summary>Output of the pair signature: the argmax of the logits, int64 [batch].</summary>
    public const string PredictedSum = "PredictedSum";
}
