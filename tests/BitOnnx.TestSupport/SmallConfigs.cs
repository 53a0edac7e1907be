using BitOnnx.Core.Model;

namespace BitOnnx.TestSupport;

/// <summary>
/// Model shapes small enough that a test trains or runs them over all P² pairs in a moment, each shared by the tests
/// whose numbers were measured on it: a test that changes one of these changes every test on it, so a test that
/// wants another shape states its own with <c>with</c>.
/// </summary>
public static class SmallConfigs
{
    /// <summary>
    /// li2024 ternary at P = 11: d_model 16, 2 heads of 8, d_mlp 32. The engine's training tests (determinism, resume,
    /// Grokfast, stop at an accuracy) train it several times each, and their expectations were set on it.
    /// </summary>
    public static TransformerConfig Training { get; } = TransformerConfig.Li2024 with
    {
        P = 11,
        DModel = 16,
        NHeads = 2,
        DHead = 8,
        DMlp = 32,
        Quantization = WeightQuantization.Ternary,
    };

    /// <summary>
    /// d_model 16, 2 heads of 8, d_mlp 24: an ablation or patching table of every head and neuron is short enough to
    /// check row by row against writes through the graph, one at a time.
    /// </summary>
    public static TransformerConfig Interventions(string preset, int p, WeightQuantization mode) =>
        TransformerConfig.FromPreset(preset) with { P = p, DModel = 16, NHeads = 2, DHead = 8, DMlp = 24, Quantization = mode };

    /// <summary>
    /// d_model 32, 2 heads of 16, d_mlp 64, P = 23 unless given: the ML.NET tests' models (any preset, mode and depth)
    /// and the TorchSharp trainer's runs (li2024 ternary), one size up from <see cref="Training"/>.
    /// </summary>
    public static TransformerConfig Width32(string preset, WeightQuantization mode, int p = 23, int layers = 1) =>
        TransformerConfig.FromPreset(preset) with { P = p, DModel = 32, NHeads = 2, DHead = 16, DMlp = 64, NLayers = layers, Quantization = mode };
}
