namespace BitOnnx.Core.Transcoders;

/// <summary>
/// The model a transcoder was trained on: its name, P and the identity of its weights (the sha256 an export records,
/// <see cref="Model.ParameterSet.Sha256"/>, or the model file's own sha256 when it records none). A transcoder is spliced
/// only into the model it names.
/// </summary>
public sealed record TranscoderSource(string Name, int P, string WeightsSha256)
{
    /// <summary>True when <paramref name="other"/> is the same model (its weights; the name may differ).</summary>
    public bool Matches(TranscoderSource other) => other.P == P && string.Equals(other.WeightsSha256, WeightsSha256, StringComparison.OrdinalIgnoreCase);
}
