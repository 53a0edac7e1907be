namespace BitOnnx.Core.Model;

/// <summary>
/// All parameters of a model in one allocation, each a named slice with a shape (llm.c's layout). Gradients and
/// optimizer moments are parameter sets of the same layout, so one loop over <see cref="Data"/> updates everything.
/// </summary>
public sealed class ParameterSet
{
    private readonly Dictionary<string, ParameterInfo> _byName;

    private ParameterSet(IReadOnlyList<ParameterInfo> entries, float[] data)
    {
        Entries = entries;
        Data = data;
        _byName = entries.ToDictionary(e => e.Name);
    }

    public IReadOnlyList<ParameterInfo> Entries { get; }
    public float[] Data { get; }

    /// <summary>The parameter layout of a config, in a fixed order (embed, pos_embed, blocks, ln_final, unembed).</summary>
    public static ParameterSet Zeros(TransformerConfig config)
    {
        config.Validated();
        var entries = new List<ParameterInfo>();
        var offset = 0;
        void Add(string name, bool quantizable, params int[] dims)
        {
            var shape = new Shape(dims);
            entries.Add(new ParameterInfo(name, shape, offset, quantizable));
            offset = checked(offset + shape.Size);
        }

        var embeddings = config.QuantScope == QuantScope.All;
        int d = config.DModel, h = config.NHeads, e = config.DHead, m = config.DMlp;
        Add(ParameterNames.Embed, embeddings, config.DVocab, d);
        if (config.PositionalEmbedding) Add(ParameterNames.PosEmbed, false, config.NCtx, d);
        for (var l = 0; l < config.NLayers; l++)
        {
            Add(ParameterNames.Query(l), true, h, d, e);
            Add(ParameterNames.Key(l), true, h, d, e);
            Add(ParameterNames.Value(l), true, h, d, e);
            Add(ParameterNames.Output(l), true, h, e, d);
            Add(ParameterNames.MlpIn(l), true, d, m);
            Add(ParameterNames.MlpOut(l), true, m, d);
        }
        if (config.FinalNorm) Add(ParameterNames.FinalNormWeight, false, d);
        Add(ParameterNames.Unembed, embeddings, d, config.DVocabOut);
        return new ParameterSet(entries, new float[offset]);
    }

    /// <summary>
    /// Zeros in a layout the caller states, in order (a model other than the transformer: a transcoder). No entry is
    /// quantizable.
    /// </summary>
    public static ParameterSet ZerosOf(IEnumerable<(string Name, Shape Shape)> layout)
    {
        var entries = new List<ParameterInfo>();
        var offset = 0;
        foreach (var (name, shape) in layout)
        {
            if (entries.Any(e => e.Name == name)) throw new ArgumentException($"Parameter '{name}' is named twice.", nameof(layout));
            entries.Add(new ParameterInfo(name, shape, offset, false));
            offset = checked(offset + shape.Size);
        }
        return new ParameterSet(entries, new float[offset]);
    }

    public ParameterSet ZerosLike() => new(Entries, new float[Data.Length]);

    /// <summary>
    /// The identity of these weights: sha256 of their float32 bytes in layout order (lowercase hex). An export records it,
    /// so a model can be matched with the run and the checkpoint it came from.
    /// </summary>
    public string Sha256() =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Data.AsSpan())));

    public ParameterSet Clone() => new(Entries, (float[])Data.Clone());

    public bool Contains(string name) => _byName.ContainsKey(name);

    public ParameterInfo Info(string name) =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"No parameter named '{name}'. Parameters: {string.Join(", ", _byName.Keys)}.");

    public Span<float> this[string name]
    {
        get
        {
            var info = Info(name);
            return Data.AsSpan(info.Offset, info.Shape.Size);
        }
    }

    public Span<float> Slice(ParameterInfo info) => Data.AsSpan(info.Offset, info.Shape.Size);
}
