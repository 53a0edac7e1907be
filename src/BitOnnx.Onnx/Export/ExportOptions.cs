namespace BitOnnx.Onnx.Export;

/// <summary>What an export writes.</summary>
public sealed record ExportOptions
{
    public WeightFormat Weights { get; init; } = WeightFormat.Float;
    public HookSelection Probes { get; init; } = HookSelection.None;

    /// <summary>
    /// Hooks a Run may write (<see cref="Surgery.WritableHooks"/>): interventions by any ONNX Runtime user. They need the
    /// graph with every position, as probes do; a Run that writes nothing computes the same values as without them.
    /// </summary>
    public HookSelection Writable { get; init; } = HookSelection.None;
    public GraphSignature Signature { get; init; } = GraphSignature.Tokens;

    /// <summary>
    /// Store block 0's Q/K/V tables (every token's projection, [positions·dVocab, heads·dHead]) as float initializers
    /// computed here, instead of nodes that compute them from W_E. ONNX Runtime folds those nodes once for float
    /// weights, but not through DequantizeLinear or MatMulNBits, which then redo the tables on every call: the cost
    /// that dominates one-row calls (ML.NET scores one row per call). Costs 3·positions·dVocab·dModel floats of file.
    /// Graphs without probes only (they are the ones with tables).
    /// </summary>
    public bool PrecomputedTables { get; init; }

    /// <summary>
    /// Input the token embeddings (what hook_embed holds, [batch, nCtx, dModel]) instead of tokens, so the logits can be
    /// differentiated with respect to them (gradient symmetricity). Positional embeddings are still added inside.
    /// </summary>
    public bool EmbeddedInput { get; init; }

    /// <summary>Compute in double precision (float weights only): for finite differences that need more than 24 bits.</summary>
    public bool DoublePrecision { get; init; }
}
