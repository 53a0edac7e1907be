using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Runs;

namespace BitOnnx.Analysis;

/// <summary>What one model brings to the analysis.</summary>
/// <param name="Name">Display name (e.g. "binary", "ternary", "fp32").</param>
/// <param name="Probes">Its activations over all P² inputs.</param>
/// <param name="Weights">Its folded weights, when available (else W_E is read off hook_embed).</param>
/// <param name="Run">The run folder it came from (config, loss curves, split), when known.</param>
/// <param name="EmbeddedModel">The model as a function of its embedded input, for gradient symmetricity.</param>
/// <param name="Layer">The block whose attention and MLP are analysed (<see cref="AnalysedLayer.Resolve"/>).</param>
/// <param name="Session">The model on ONNX Runtime with writable hooks, for the sections that intervene; null when it has none.</param>
/// <param name="HookGradients">A backend that differentiates the model at its hooks, for attribution patching; null when there is none.</param>
/// <param name="Circuit">A circuit found on this model (<c>bitonnx circuit --json</c>), for the circuit section; null when none was given.</param>
/// <param name="Transcoder">A transcoder trained on this model (<c>bitonnx analyze --transcoder</c>), for the transcoder section; null when none was given.</param>
/// <param name="Splice">The transcoder spliced into this model in place of its MLP (<c>bitonnx transcoder splice</c>); null for a model with its own MLP.</param>
public sealed record ModelInputs(string Name, IProbeSource Probes, IWeightSource? Weights = null, TrainingRun? Run = null, IEmbeddedLogits? EmbeddedModel = null,
    int Layer = 0, global::BitOnnx.Onnx.Runtime.ModelSession? Session = null, Interventions.IHookGradients? HookGradients = null, CircuitInput? Circuit = null,
    TranscoderInput? Transcoder = null, global::BitOnnx.Onnx.Surgery.SplicedTranscoder? Splice = null)
{
    /// <summary>
    /// Why the analyses of the MLP's neurons are left out of a spliced model: its <c>mlp.hook_post</c> probe still shows
    /// the replaced neurons (the MLP's input is the same), but they feed nothing, so their maps, FVE, explanations,
    /// ablation and patching would describe a computation the model no longer makes. Null for a model with its own MLP.
    /// </summary>
    public string? NeuronsSkipped => Splice is null ? null :
        "its MLP is replaced by a transcoder (bitonnx transcoder splice), so the replaced neurons feed nothing: the neuron maps, FVE, " +
        "neuron explanations, neuron ablation and patching, and attribution patching (whose engine has no transcoder) are left out; " +
        "the rest reads the spliced model. For the transcoder's latents, analyze the model it was spliced into with --transcoder.";
}

/// <summary>What one report section made of one model: its result, or why it has none.</summary>
public sealed record SectionOutcome(Sections.IReportSection Section, Sections.SectionResult? Result, string? Skipped);

/// <summary>Results of every analysis run on one model; a part left out of <see cref="AnalysisOptions.Parts"/> is null.</summary>
/// <param name="Name">Display name.</param>
/// <param name="P">Modulus.</param>
/// <param name="Run">The run folder, when known.</param>
/// <param name="Learning">Whether it learned the task; below the gate no verdict and no key frequencies are claimed.</param>
/// <param name="Embedding">Embedding Fourier norms and key frequencies.</param>
/// <param name="Attention">Attention maps.</param>
/// <param name="Neurons">Neuron maps, FVE, clusters.</param>
/// <param name="Logits">Logit Fourier norms and losses.</param>
/// <param name="ClockPizza">Clock-vs-pizza measures and verdict.</param>
public sealed record ModelAnalysis(
    string Name, int P, TrainingRun? Run, LearningGate Learning, EmbeddingFourierResult? Embedding, AttentionResult? Attention,
    NeuronFourierResult? Neurons, LogitFourierResult? Logits, ClockPizzaResult? ClockPizza)
{
    /// <summary>The report sections' results (ablation, patching, ...), in report order.</summary>
    public IReadOnlyList<SectionOutcome> Sections { get; init; } = [];

    /// <summary>Why the neuron analyses were left out of this model (<see cref="ModelInputs.NeuronsSkipped"/>); null when they were not.</summary>
    public string? NeuronsSkipped { get; init; }

    /// <summary>Key frequencies by the embedding-norm method (empty when not analysed, or not claimed: see <see cref="Learning"/>).</summary>
    public int[] EmbeddingKeyFrequencies => Learning.AllowsClaims ? Embedding?.KeyFrequencies ?? [] : [];

    /// <summary>Key frequencies by Nanda's per-neuron method (empty when not analysed, or not claimed: see <see cref="Learning"/>).</summary>
    public int[] NeuronKeyFrequencies => Learning.AllowsClaims ? Neurons?.KeyFrequencies ?? [] : [];
}
