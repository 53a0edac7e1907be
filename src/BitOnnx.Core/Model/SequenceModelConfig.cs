using System.Text.Json;
using System.Text.Json.Serialization;
using BitOnnx.Core.Tasks;

namespace BitOnnx.Core.Model;

/// <summary>
/// A transformer that reads a whole sequence and predicts at every position, as Quirke, Neo and Barez (2024, arXiv
/// 2402.02619) train on n-digit arithmetic: TransformerLens' HookedTransformer with normalization_type 'LN' (LayerNorm
/// with weight and bias before attention, before the MLP and before the unembed), its default biases (b_Q, b_K, b_V,
/// b_O, b_in, b_out, b_U), learned positions, causal attention scaled by 1 / sqrt(d_head), a ReLU MLP. The task owns
/// d_vocab, d_vocab_out and n_ctx (<see cref="ForTask"/>); the block linears are full precision, binary or ternary as
/// the li2024 preset quantizes them. Modular addition's <see cref="TransformerConfig"/> is a different type and stays as it is.
/// </summary>
public sealed record SequenceModelConfig
{
    public const string Quirke2024Name = "quirke2024";

    /// <summary>TransformerLens' LayerNorm epsilon.</summary>
    public const double LayerNormEpsilon = 1e-5;

    public string Preset { get; init; } = Quirke2024Name;
    /// <summary>The task this model is shaped for ("add5"); its checkpoint names it.</summary>
    public string Task { get; init; } = "";
    public int DVocab { get; init; }
    public int DVocabOut { get; init; }
    public int NCtx { get; init; }
    public int DModel { get; init; } = 510;
    public int NHeads { get; init; } = 3;
    public int DHead { get; init; } = 170;
    public int DMlp { get; init; } = 2040;
    public int NLayers { get; init; } = 2;
    [JsonPropertyName("quant")]
    public WeightQuantization Quantization { get; init; } = WeightQuantization.None;
    public BinaryScale BinaryScale { get; init; } = BinaryScale.None;

    [JsonIgnore] public double ScoreScale => 1.0 / Math.Sqrt(DHead);

    /// <summary>Quirke et al.'s model (2 layers of 3 heads, d_model 510, d_head 170, d_mlp 2040) shaped for <paramref name="task"/>.</summary>
    public static SequenceModelConfig ForTask(ISequenceTask task) => new()
    {
        Task = task.Name,
        DVocab = task.Vocabulary.Size,
        DVocabOut = task.OutputVocabularySize,
        NCtx = task.ContextLength,
    };

    /// <summary>"quirke2024 ternary add3, d_model 64, 2 heads of 32, d_mlp 256, 2 layers".</summary>
    public string Describe() =>
        $"{Preset} {Quantization.ToString().ToLowerInvariant()}{(Quantization == WeightQuantization.Binary && BinaryScale == BinaryScale.AbsMean ? " absmean" : "")} "
        + $"{Task}, d_model {DModel}, {NHeads} heads of {DHead}, d_mlp {DMlp}, {NLayers} layer{(NLayers == 1 ? "" : "s")}";

    /// <summary>Every problem with this config, one sentence each; empty when it is valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (DVocab < 1) problems.Add($"d_vocab must be positive (got {DVocab}); take it from the task (SequenceModelConfig.ForTask).");
        if (DVocabOut < 1) problems.Add($"d_vocab_out must be positive (got {DVocabOut}); take it from the task.");
        if (NCtx < 2) problems.Add($"n_ctx must be at least 2 (got {NCtx}); take it from the task.");
        if (DModel < 1) problems.Add($"d_model must be positive (got {DModel}).");
        if (NHeads < 1) problems.Add($"n_heads must be positive (got {NHeads}).");
        if (DHead < 1) problems.Add($"d_head must be positive (got {DHead}).");
        if (DMlp < 1) problems.Add($"d_mlp must be positive (got {DMlp}).");
        if (NLayers < 1) problems.Add($"n_layers must be at least 1 (got {NLayers}).");
        if (string.IsNullOrWhiteSpace(Task)) problems.Add("the task name is empty; shape the config from its task (SequenceModelConfig.ForTask).");
        if (BinaryScale == BinaryScale.AbsMean && Quantization != WeightQuantization.Binary)
            problems.Add("binary_scale abs_mean scales binary weights, so it needs quant binary.");
        return problems;
    }

    public SequenceModelConfig Validated()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ConfigException("Invalid sequence model config: " + string.Join(" ", problems));
        return this;
    }

    /// <summary>The problems of this config against a task it is asked to run on (the task owns the shapes).</summary>
    public IReadOnlyList<string> ProblemsWith(ISequenceTask task)
    {
        var problems = new List<string>();
        if (Task != task.Name) problems.Add($"the model was made for task '{Task}', not '{task.Name}'.");
        if (DVocab != task.Vocabulary.Size) problems.Add($"d_vocab is {DVocab} but task {task.Name} has {task.Vocabulary.Size} tokens.");
        if (DVocabOut != task.OutputVocabularySize) problems.Add($"d_vocab_out is {DVocabOut} but task {task.Name} predicts {task.OutputVocabularySize}.");
        if (NCtx != task.ContextLength) problems.Add($"n_ctx is {NCtx} but task {task.Name} has sequences of {task.ContextLength}.");
        return problems;
    }

    /// <summary>
    /// Every parameter under its TransformerLens name, in TransformerLens' order, with its shape and whether the weight
    /// mode quantizes it (the six block linears, as li2024's Linears scope).
    /// </summary>
    public IReadOnlyList<SequenceParameter> Parameters()
    {
        int v = DVocab, o = DVocabOut, t = NCtx, d = DModel, h = NHeads, e = DHead, m = DMlp;
        var list = new List<SequenceParameter>
        {
            new("embed.W_E", new Shape(v, d), SequenceParameterKind.Weight),
            new("pos_embed.W_pos", new Shape(t, d), SequenceParameterKind.Weight),
        };
        for (int l = 0; l < NLayers; l++)
        {
            string b = $"blocks.{l}.";
            list.Add(new(b + "ln1.w", new Shape(d), SequenceParameterKind.NormGain));
            list.Add(new(b + "ln1.b", new Shape(d), SequenceParameterKind.Bias));
            list.Add(new(b + "ln2.w", new Shape(d), SequenceParameterKind.NormGain));
            list.Add(new(b + "ln2.b", new Shape(d), SequenceParameterKind.Bias));
            list.Add(new(b + "attn.W_Q", new Shape(h, d, e), SequenceParameterKind.Linear));
            list.Add(new(b + "attn.W_K", new Shape(h, d, e), SequenceParameterKind.Linear));
            list.Add(new(b + "attn.W_V", new Shape(h, d, e), SequenceParameterKind.Linear));
            list.Add(new(b + "attn.W_O", new Shape(h, e, d), SequenceParameterKind.Linear));
            list.Add(new(b + "attn.b_Q", new Shape(h, e), SequenceParameterKind.Bias));
            list.Add(new(b + "attn.b_K", new Shape(h, e), SequenceParameterKind.Bias));
            list.Add(new(b + "attn.b_V", new Shape(h, e), SequenceParameterKind.Bias));
            list.Add(new(b + "attn.b_O", new Shape(d), SequenceParameterKind.Bias));
            list.Add(new(b + "mlp.W_in", new Shape(d, m), SequenceParameterKind.Linear));
            list.Add(new(b + "mlp.b_in", new Shape(m), SequenceParameterKind.Bias));
            list.Add(new(b + "mlp.W_out", new Shape(m, d), SequenceParameterKind.Linear));
            list.Add(new(b + "mlp.b_out", new Shape(d), SequenceParameterKind.Bias));
        }
        list.Add(new("ln_final.w", new Shape(d), SequenceParameterKind.NormGain));
        list.Add(new("ln_final.b", new Shape(d), SequenceParameterKind.Bias));
        list.Add(new("unembed.W_U", new Shape(d, o), SequenceParameterKind.Weight));
        list.Add(new("unembed.b_U", new Shape(o), SequenceParameterKind.Bias));
        return list;
    }

    public static JsonSerializerOptions JsonOptions => TransformerConfig.JsonOptions;

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static SequenceModelConfig FromJson(string json) =>
        JsonSerializer.Deserialize<SequenceModelConfig>(json, JsonOptions)
        ?? throw new ConfigException("The sequence model config JSON is empty.");
}

/// <summary>What a parameter is, which fixes how it starts and whether the weight mode quantizes it.</summary>
public enum SequenceParameterKind
{
    /// <summary>Embedding, positions, unembedding: float in every mode.</summary>
    Weight,
    /// <summary>W_Q, W_K, W_V, W_O, W_in, W_out: full precision, binary or ternary.</summary>
    Linear,
    /// <summary>A bias or a LayerNorm bias: starts at zero.</summary>
    Bias,
    /// <summary>A LayerNorm weight: starts at one.</summary>
    NormGain,
}

/// <summary>One parameter of a <see cref="SequenceModelConfig"/>: its TransformerLens name and shape.</summary>
public sealed record SequenceParameter(string Name, Shape Shape, SequenceParameterKind Kind)
{
    public bool Quantizable => Kind == SequenceParameterKind.Linear;
}
