using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.ClockPizza;

namespace BitOnnx.Analysis;

/// <summary>Which analyses to run on a model.</summary>
[Flags]
public enum AnalysisParts
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Embedding Fourier norms and key frequencies (needs hook_embed or embed.W_E).</summary>
    Embedding = 1,

    /// <summary>Attention maps from = to a (needs the attention probe).</summary>
    Attention = 2,

    /// <summary>Neuron maps, 2-D Fourier norms, FVE, clusters (needs blocks.0.mlp.hook_post).</summary>
    Neurons = 4,

    /// <summary>Logit 2-D Fourier norms and losses (needs logits).</summary>
    Logits = 8,

    /// <summary>Clock vs pizza (needs logits; hook_embed too for gradient symmetricity).</summary>
    ClockPizza = 16,

    /// <summary>Everything.</summary>
    All = Embedding | Attention | Neurons | Logits | ClockPizza,
}

/// <summary>Settings of <see cref="ModelAnalyzer"/>.</summary>
public sealed record AnalysisOptions
{
    /// <summary>Analyses to run.</summary>
    public AnalysisParts Parts { get; init; } = AnalysisParts.All;

    /// <summary>Key-frequency thresholds.</summary>
    public KeyFrequencyOptions KeyFrequencies { get; init; } = new();

    /// <summary>Attention pattern (default, as Nanda et al. plot) or pre-softmax scores.</summary>
    public AttentionQuantity Attention { get; init; } = AttentionQuantity.Pattern;

    /// <summary>The block to analyse (see <see cref="Inputs.AnalysedLayer"/>); null: the model's only block.</summary>
    public int? Layer { get; init; }

    /// <summary>
    /// Neurons whose maps the report shows; null: the four whose activation varies most over (a, b) (Li 2024 fig. 3
    /// shows neuron 0, which in a ternary model may be dead).
    /// </summary>
    public IReadOnlyList<int>? ShownNeurons { get; init; }

    /// <summary>How many of the largest logit Fourier components to list.</summary>
    public int TopLogitComponents { get; init; } = 20;

    /// <summary>The accuracies below which no algorithm is claimed (<see cref="LearningGate"/>).</summary>
    public LearningThresholds Learning { get; init; } = new();

    /// <summary>The report sections to compute, by id (<see cref="Sections.ReportSections"/>); null: every one that applies.</summary>
    public IReadOnlyCollection<string>? Sections { get; init; }

    /// <summary>Clock-vs-pizza thresholds.</summary>
    public ClockPizzaThresholds ClockPizza { get; init; } = new();

    /// <summary>Gradient symmetricity sampling and step.</summary>
    public GradientSymmetricityOptions GradientSymmetricity { get; init; } = new();
}
