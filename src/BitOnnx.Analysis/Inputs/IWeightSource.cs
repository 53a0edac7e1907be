namespace BitOnnx.Analysis.Inputs;

/// <summary>
/// Folded weights by TransformerLens name: <c>embed.W_E [d_vocab, d_model]</c>, <c>blocks.0.mlp.W_out
/// [d_mlp, d_model]</c>, <c>unembed.W_U [d_model, P]</c>, and any others (used by the sum of squared weights).
/// </summary>
public interface IWeightSource
{
    /// <summary>Names of every weight tensor this source holds (the sum of squared weights runs over these).</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The named weight, or false when the source does not hold it.</summary>
    bool TryGet(string name, out ProbeTensor weight);
}
