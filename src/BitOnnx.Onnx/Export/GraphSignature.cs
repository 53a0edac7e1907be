namespace BitOnnx.Onnx.Export;

/// <summary>The inputs and outputs an exported graph offers.</summary>
public enum GraphSignature
{
    /// <summary>Input <c>tokens</c> int64 [batch, nCtx]; output <c>logits</c> [batch, P] (and the probes).</summary>
    Tokens,

    /// <summary>
    /// What an ML.NET pipeline holds: inputs <c>A</c> and <c>B</c> int64 [batch, 1], assembled into [a, b, =] inside the
    /// graph and checked against 0..P−1 there; outputs <c>Score</c> float [batch, P] (softmax of the logits),
    /// <c>PredictedSum</c> int64 [batch] (their ArgMax) and the raw <c>logits</c>.
    /// </summary>
    Pair,
}
