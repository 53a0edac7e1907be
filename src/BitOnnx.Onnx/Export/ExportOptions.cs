namespace BitOnnx.Onnx.Export;

/// <summary>What an export writes.</summary>
public sealed record ExportOptions
{
    public WeightFormat Weights { get; init; } = WeightFormat.Float;
    public ProbeSelection Probes { get; init; } = ProbeSelection.None;

    /// <summary>
    /// Input the token embeddings (what hook_embed holds, [batch, nCtx, dModel]) instead of tokens, so the logits can be
    /// differentiated with respect to them (gradient symmetricity). Positional embeddings are still added inside.
    /// </summary>
    public bool EmbeddedInput { get; init; }

    /// <summary>Compute in double precision (float weights only): for finite differences that need more than 24 bits.</summary>
    public bool DoublePrecision { get; init; }
}
