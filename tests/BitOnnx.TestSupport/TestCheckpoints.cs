using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;

namespace BitOnnx.TestSupport;

/// <summary>
/// Checkpoints made in memory, never trained: where a test compares two ways of computing one model (an export and
/// the engine, a graph and its rewrite), any weights will do, and drawing them costs nothing next to training.
/// </summary>
public static class TestCheckpoints
{
    /// <summary>The initializer's weights for <paramref name="seed"/>; the facts record the same seed.</summary>
    public static ModelCheckpoint.Loaded Untrained(TransformerConfig config, long seed) =>
        WithParameters(config, ParameterInitializer.Initialize(config, seed), seed);

    /// <summary>
    /// Weights a test set itself. <paramref name="seed"/> is only what the facts record, which exports carry in their
    /// metadata; epoch 0, train fraction 0.3, no train rows, no other tensors or metadata.
    /// </summary>
    public static ModelCheckpoint.Loaded WithParameters(TransformerConfig config, ParameterSet parameters, long seed) =>
        new(config, parameters, new CheckpointFacts(seed, 0, 0.3, []), new Dictionary<string, NamedTensor>(), new Dictionary<string, string>());
}
