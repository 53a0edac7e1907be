using BitOnnx.Core.Randomness;

namespace BitOnnx.Core.Model;

/// <summary>Draws the starting weights of a config from a seed (docs/recipe.md "Init").</summary>
public static class ParameterInitializer
{
    public static ParameterSet Initialize(TransformerConfig config, long seed)
    {
        var parameters = ParameterSet.Zeros(config);
        var random = SeededRandom.ForPurpose(seed, "init");
        foreach (var info in parameters.Entries)
        {
            var values = parameters.Slice(info);
            if (info.Name == ParameterNames.FinalNormWeight)
            {
                values.Fill(1f);
                continue;
            }
            if (config.Init == InitScheme.Nanda2023)
            {
                var std = info.Name == ParameterNames.Unembed ? 1.0 / Math.Sqrt(config.DVocab) : 1.0 / Math.Sqrt(config.DModel);
                for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextGaussian() * std);
            }
            else if (info.Name is ParameterNames.Embed or ParameterNames.PosEmbed)
            {
                for (var i = 0; i < values.Length; i++) values[i] = (float)random.NextGaussian();
            }
            else
            {
                var bound = 1.0 / Math.Sqrt(FanIn(config, info.Name));
                for (var i = 0; i < values.Length; i++) values[i] = (float)((2 * random.NextDouble() - 1) * bound);
            }
        }
        return parameters;
    }

    /// <summary>Fan-in of the torch.nn.Linear each weight stands for: W_O and W_out read the attention and MLP widths.</summary>
    private static int FanIn(TransformerConfig config, string name) =>
        name.EndsWith(".W_O", StringComparison.Ordinal) ? config.AttentionWidth
        : name.EndsWith(".W_out", StringComparison.Ordinal) ? config.DMlp
        : config.DModel;
}
