using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;
using BitOnnx.Engine.Tests.Model;
using BitOnnx.Engine.Tests.Reference;

namespace BitOnnx.Engine.Tests.Hooks;

/// <summary>
/// One tiny model (<see cref="TinyModels.Config"/>: P = 5, d_model 8) with its clean inputs (all 25 pairs), corrupted
/// inputs (a + 1 in place of a), the weights the forward pass uses in double for <see cref="ReferenceHookedTransformer"/>,
/// and the engine's <see cref="HookedModel"/> of the same latent parameters.
/// </summary>
public sealed class HookCase
{
    public HookCase(string preset, WeightQuantization mode, int layers, int seed = 3)
    {
        Config = TinyModels.Config(preset, mode, layers);
        var latent = ParameterInitializer.Initialize(Config, seed);
        Latent = latent;
        Effective = TinyModels.Quantized(Config, latent);
        Weights = ReferenceTransformer.ToDouble(Effective);
        (Tokens, Targets) = TinyModels.AllPairs(Config.P);
        CorruptTokens = (int[])Tokens.Clone();
        for (var n = 0; n < Rows; n++) CorruptTokens[n * Config.NCtx] = (Tokens[n * Config.NCtx] + 1) % Config.P;
        CorruptTargets = Array.ConvertAll(Targets, target => (target + 1) % Config.P);
        Model = new HookedModel(Config, latent);
    }

    /// <summary>Both presets, every quantization mode, 1 and 2 layers.</summary>
    public static IEnumerable<object[]> Every()
    {
        foreach (var preset in TransformerConfig.PresetNames)
            foreach (var mode in Enum.GetValues<WeightQuantization>())
                foreach (var layers in new[] { 1, 2 })
                    yield return [preset, mode, layers];
    }

    public TransformerConfig Config { get; }
    public ParameterSet Latent { get; }
    public ParameterSet Effective { get; }
    public Dictionary<string, double[]> Weights { get; }
    public int[] Tokens { get; }
    public int[] Targets { get; }
    public int[] CorruptTokens { get; }
    public int[] CorruptTargets { get; }
    public int Rows => Targets.Length;
    public HookedModel Model { get; }

    public Dictionary<string, double[]> Reference(IReadOnlyDictionary<string, ReferenceEdit>? edits = null, int[]? tokens = null) =>
        ReferenceHookedTransformer.Run(Config, Weights, tokens ?? Tokens, edits);

    /// <summary>The reference with the same writes as the engine: each write's mask and values in double.</summary>
    public Dictionary<string, double[]> Reference(IEnumerable<HookWrite> writes) =>
        Reference(writes.ToDictionary(w => w.Hook, ReferenceEdit.Write));

    public LogitMetric CrossEntropy => LogitMetric.CrossEntropy(Targets, Config.DVocabOut);
    public LogitMetric LogitDifference => LogitMetric.LogitDifference(Targets, CorruptTargets, Config.DVocabOut);

    /// <summary>The metric of the reference's logits of <paramref name="rows"/> (all rows when null), each row's term over all rows' count.</summary>
    public double ReferenceMetric(LogitMetric metric, double[] logits, int[]? rows = null)
    {
        rows ??= Enumerable.Range(0, Rows).ToArray();
        int[] Pick(int[] perRow) => Array.ConvertAll(rows, n => perRow[n]);
        var mean = metric.Name == CrossEntropy.Name
            ? ReferenceHookedTransformer.CrossEntropy(logits, Pick(Targets), Config.DVocabOut)
            : ReferenceHookedTransformer.LogitDifference(logits, Pick(Targets), Pick(CorruptTargets), Config.DVocabOut);
        return mean * rows.Length / Rows;
    }

    public override string ToString() => $"{Config.Preset}, {Config.Quantization}, {Config.NLayers} layer(s)";
}
