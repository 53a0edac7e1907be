namespace BitOnnx.Analysis.Analyses;

/// <summary>
/// Thresholds for calling a frequency "key". Nanda et al. 2023 pick key frequencies by eye from the embedding's
/// Fourier norms and confirm them with neuron clusters; these options make both choices reproducible.
/// </summary>
public sealed record KeyFrequencyOptions
{
    /// <summary>
    /// Embedding method: a frequency is key when its norm lies this many robust standard deviations above the
    /// median frequency norm (σ = 1.4826·MAD, the noise floor's spread; assumes key frequencies are a minority).
    /// White noise in a 128-wide embedding stays within about 3σ over 56 frequencies.
    /// </summary>
    public double EmbeddingNoiseSigmas { get; init; } = 6.0;

    /// <summary>Embedding method: ...and at least this fraction of the largest frequency norm.</summary>
    public double EmbeddingMaxFraction { get; init; } = 0.2;

    /// <summary>
    /// Neuron method: a neuron joins the cluster of its best frequency when that frequency's degree-2 polynomials
    /// explain at least this fraction of its variance (Nanda et al. report the count above 0.85; we cluster from 0.5
    /// so noisier binary models still form clusters, and report the 0.85 count separately).
    /// </summary>
    public double NeuronClusterMinFve { get; init; } = 0.5;

    /// <summary>Neuron method: a frequency is key when its cluster holds at least this fraction of all neurons.</summary>
    public double NeuronClusterMinFraction { get; init; } = 0.02;
}
