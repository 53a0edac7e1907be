using BitOnnx.Core.Randomness;

namespace BitOnnx.Core.Model;

/// <summary>
/// TransformerLens' "gpt2" initialisation of a <see cref="SequenceModelConfig"/>: every weight (W_E, W_pos, the block
/// linears, W_U) drawn from N(0, σ²) with σ = 0.8 / sqrt(d_model), TransformerLens' default initializer_range;
/// biases zero; LayerNorm weights one. Seeded through SeededRandom, so the same seed gives the same bytes everywhere.
/// </summary>
public static class SequenceModelInitializer
{
    public static IReadOnlyList<NamedTensor> Initialize(SequenceModelConfig config, long seed)
    {
        config.Validated();
        var random = SeededRandom.ForPurpose(seed, "sequence-model-init");
        double sigma = 0.8 / Math.Sqrt(config.DModel);
        var tensors = new List<NamedTensor>();
        foreach (var p in config.Parameters())
        {
            var data = new float[p.Shape.Size];
            switch (p.Kind)
            {
                case SequenceParameterKind.Weight or SequenceParameterKind.Linear:
                    for (int i = 0; i < data.Length; i++) data[i] = (float)(sigma * random.NextGaussian());
                    break;
                case SequenceParameterKind.NormGain:
                    Array.Fill(data, 1f);
                    break;
            }
            tensors.Add(new NamedTensor(p.Name, p.Shape, data));
        }
        return tensors;
    }
}
