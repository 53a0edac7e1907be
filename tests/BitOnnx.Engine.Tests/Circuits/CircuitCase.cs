using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Circuits;
using BitOnnx.Engine.Tests.Hooks;
using BitOnnx.Engine.Tests.Reference;

namespace BitOnnx.Engine.Tests.Circuits;

/// <summary>
/// A <see cref="HookCase"/> model (P = 5, all 25 pairs) with the engine's <see cref="EdgePatching"/> of it and the double
/// reference of the same: its clean sender outputs and its corrupted ones (the reference run on the engine's resampled
/// tokens, or the clean outputs' means).
/// </summary>
public sealed class CircuitCase
{
    public CircuitCase(string preset, WeightQuantization mode, int layers, Corruption corruption = Corruption.Resample)
    {
        Hooks = new HookCase(preset, mode, layers);
        Patching = new EdgePatching(Hooks.Model, Hooks.Tokens, corruption, seed: 4);
        Clean = ReferenceEdgePatching.Run(Config, Hooks.Weights, Hooks.Tokens);
        Corrupted = corruption == Corruption.Resample
            ? ReferenceEdgePatching.Run(Config, Hooks.Weights, Patching.CorruptTokens!).Senders
            : ReferenceEdgePatching.Means(Clean.Senders, Hooks.Rows);
    }

    /// <summary>
    /// Every preset and quantization mode once and two layers for each preset: the reference-heavy tests' cases (the
    /// engine-only ones run <see cref="HookCase.Every"/>).
    /// </summary>
    public static IEnumerable<object[]> Representative() =>
    [
        [TransformerConfig.Li2024Name, WeightQuantization.None, 1],
        [TransformerConfig.Li2024Name, WeightQuantization.Binary, 2],
        [TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1],
        [TransformerConfig.Nanda2023Name, WeightQuantization.None, 1],
        [TransformerConfig.Nanda2023Name, WeightQuantization.Binary, 2],
        [TransformerConfig.Nanda2023Name, WeightQuantization.Ternary, 1],
    ];

    public HookCase Hooks { get; }
    public EdgePatching Patching { get; }
    public ReferenceEdgePatching.Result Clean { get; }
    public Dictionary<string, double[]> Corrupted { get; }
    public TransformerConfig Config => Hooks.Config;
    public CircuitGraph Graph => Patching.Graph;

    /// <summary>The reference's logits [rows, P] with these masks and receiver deltas.</summary>
    public double[] Reference(double[]? alpha, Dictionary<string, double[]>? deltas = null) =>
        ReferenceEdgePatching.Run(Config, Hooks.Weights, Hooks.Tokens, alpha, Corrupted, deltas).Logits;

    /// <summary>The reference's metric of its logits: KL from its own clean logits, or the cross-entropy of the right answers.</summary>
    public double Metric(CircuitMetric metric, double[] logits) => metric == CircuitMetric.KlDivergence
        ? ReferenceEdgePatching.KlDivergence(Clean.Logits, logits, Config.DVocabOut)
        : ReferenceHookedTransformer.CrossEntropy(logits, Hooks.Targets, Config.DVocabOut);

    /// <summary>Corrupted − clean output of <paramref name="sender"/> [rows, T, dModel] in the reference.</summary>
    public double[] Difference(string sender) => Corrupted[sender].Zip(Clean.Senders[sender], (a, b) => a - b).ToArray();

    public override string ToString() => Hooks.ToString();
}
