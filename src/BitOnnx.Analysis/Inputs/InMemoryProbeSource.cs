namespace BitOnnx.Analysis.Inputs;

/// <summary>Probes held in memory: for tests, synthetic models, and producers that already hold the arrays.</summary>
public sealed class InMemoryProbeSource : IProbeSource
{
    private readonly Dictionary<string, ProbeTensor> _probes = new(StringComparer.Ordinal);

    /// <summary>Creates an empty source for modulus <paramref name="p"/>.</summary>
    public InMemoryProbeSource(int p)
    {
        if (p < 2) throw new ArgumentOutOfRangeException(nameof(p), p, "P must be at least 2.");
        P = p;
    }

    /// <inheritdoc />
    public int P { get; }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Names => _probes.Keys;

    /// <summary>Adds or replaces a probe (its data length must match its shape).</summary>
    public InMemoryProbeSource Add(ProbeTensor probe)
    {
        _probes[probe.Name] = probe.Validated();
        return this;
    }

    /// <summary>Adds or replaces a probe from its parts.</summary>
    public InMemoryProbeSource Add(string name, float[] data, params int[] shape) => Add(new ProbeTensor(name, data, shape));

    /// <summary>Removes a probe (tests use it to model an export without that probe).</summary>
    public InMemoryProbeSource Remove(string name)
    {
        _probes.Remove(name);
        return this;
    }

    /// <inheritdoc />
    public ProbeTensor Get(string name) =>
        _probes.TryGetValue(name, out var probe)
            ? probe
            : throw new MissingProbesException("in memory", name);
}
