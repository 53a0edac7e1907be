namespace BitOnnx.Analysis.Inputs;

/// <summary>Weights held in memory, by TransformerLens name.</summary>
public sealed class InMemoryWeightSource : IWeightSource
{
    private readonly Dictionary<string, ProbeTensor> _weights = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IReadOnlyCollection<string> Names => _weights.Keys;

    /// <summary>Adds or replaces a weight (its data length must match its shape).</summary>
    public InMemoryWeightSource Add(ProbeTensor weight)
    {
        _weights[weight.Name] = weight.Validated();
        return this;
    }

    /// <summary>Adds or replaces a weight from its parts.</summary>
    public InMemoryWeightSource Add(string name, float[] data, params int[] shape) => Add(new ProbeTensor(name, data, shape));

    /// <inheritdoc />
    public bool TryGet(string name, out ProbeTensor weight) => _weights.TryGetValue(name, out weight!);
}
