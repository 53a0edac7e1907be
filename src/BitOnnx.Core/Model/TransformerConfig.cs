using System.Text.Json;
using System.Text.Json.Serialization;

namespace BitOnnx.Core.Model;

/// <summary>Scale of the attention scores before the softmax.</summary>
public enum AttentionScale
{
    /// <summary>1 / sqrt(d_head), as in Nanda et al. 2023 and TransformerLens.</summary>
    InverseSqrtDHead,
    /// <summary>1 / sqrt(d_model), as in Li 2024's code.</summary>
    InverseSqrtDModel,
}

/// <summary>
/// Everything that fixes the shape and the arithmetic of a model. Two presets follow docs/recipe.md's table:
/// <see cref="Nanda2023"/> and <see cref="Li2024"/>; every field can be changed afterwards with <c>with</c>.
/// </summary>
public sealed record TransformerConfig
{
    public const string Nanda2023Name = "nanda2023";
    public const string Li2024Name = "li2024";
    public static IReadOnlyList<string> PresetNames { get; } = [Nanda2023Name, Li2024Name];

    public string Preset { get; init; } = Li2024Name;
    /// <summary>The modulus; tokens 0..P−1 are numbers and token P is '='.</summary>
    public int P { get; init; } = 113;
    public int DModel { get; init; } = 128;
    public int NHeads { get; init; } = 4;
    public int DHead { get; init; } = 32;
    public int DMlp { get; init; } = 512;
    public int NLayers { get; init; } = 1;
    public int NCtx { get; init; } = 3;
    public bool PositionalEmbedding { get; init; }
    public bool CausalMask { get; init; }
    public AttentionScale AttentionScale { get; init; } = AttentionScale.InverseSqrtDModel;
    /// <summary>RMSNorm before the unembed: x / max(‖x‖₂, 1e-12) · g · sqrt(d_model).</summary>
    public bool FinalNorm { get; init; } = true;
    [JsonPropertyName("quant")]
    public WeightQuantization Quantization { get; init; } = WeightQuantization.None;
    public BinaryScale BinaryScale { get; init; } = BinaryScale.None;
    /// <summary>Whether W_E and W_U are quantized too. Configs and checkpoints written before it existed read as linears.</summary>
    public QuantScope QuantScope { get; init; } = QuantScope.Linears;
    public InitScheme Init { get; init; } = InitScheme.PyTorchDefault;

    /// <summary>Input vocabulary: the P numbers and '='.</summary>
    [JsonIgnore] public int DVocab => P + 1;
    /// <summary>Unembed outputs: one logit per residue.</summary>
    [JsonIgnore] public int DVocabOut => P;
    [JsonIgnore] public int AttentionWidth => NHeads * DHead;
    [JsonIgnore] public float ScoreScale => 1f / MathF.Sqrt(AttentionScale == AttentionScale.InverseSqrtDHead ? DHead : DModel);

    public static TransformerConfig Nanda2023 { get; } = new()
    {
        Preset = Nanda2023Name,
        PositionalEmbedding = true,
        CausalMask = true,
        AttentionScale = AttentionScale.InverseSqrtDHead,
        FinalNorm = false,
        Init = InitScheme.Nanda2023,
    };

    public static TransformerConfig Li2024 { get; } = new()
    {
        Preset = Li2024Name,
        PositionalEmbedding = false,
        CausalMask = false,
        AttentionScale = AttentionScale.InverseSqrtDModel,
        FinalNorm = true,
        Init = InitScheme.PyTorchDefault,
    };

    public static TransformerConfig FromPreset(string name) => name.ToLowerInvariant() switch
    {
        Nanda2023Name => Nanda2023,
        Li2024Name => Li2024,
        _ => throw new ConfigException($"Unknown preset '{name}'. Valid presets: {string.Join(", ", PresetNames)}."),
    };

    /// <summary>Same config with d_head = d_model / n_heads, the usual choice when the width or head count changes.</summary>
    public TransformerConfig WithHeadsSplittingModel() =>
        NHeads > 0 && DModel % NHeads == 0 ? this with { DHead = DModel / NHeads } : this;

    /// <summary>The config in a few words, for messages: "li2024 ternary, P = 113, d_model 128, 4 heads of 32, d_mlp 512, 1 layer".</summary>
    public string Describe()
    {
        var quant = Quantization.ToString().ToLowerInvariant() + (QuantScope == QuantScope.All ? " (all weights)" : "")
            + (Quantization == WeightQuantization.Binary && BinaryScale == BinaryScale.AbsMean ? " absmean" : "");
        return $"{Preset} {quant}, P = {P}, d_model {DModel}, {NHeads} heads of {DHead}, d_mlp {DMlp}, {NLayers} layer{(NLayers == 1 ? "" : "s")}";
    }

    /// <summary>Every problem with this config, one sentence each; empty when it is valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (P < 2) problems.Add($"p must be at least 2 (got {P}).");
        if (P > 46_000) problems.Add($"p must be at most 46000 so that all p*p pairs fit in memory (got {P}).");
        if (DModel < 1) problems.Add($"d_model must be positive (got {DModel}).");
        if (NHeads < 1) problems.Add($"n_heads must be positive (got {NHeads}).");
        else if (DModel % NHeads != 0) problems.Add($"n_heads ({NHeads}) must divide d_model ({DModel}).");
        if (DHead < 1) problems.Add($"d_head must be positive (got {DHead}).");
        if (DMlp < 1) problems.Add($"d_mlp must be positive (got {DMlp}).");
        if (NLayers < 1) problems.Add($"n_layers must be at least 1 (got {NLayers}).");
        if (NCtx != 3) problems.Add($"n_ctx must be 3 for the sequence [a, b, =] (got {NCtx}).");
        if (QuantScope == QuantScope.All && Quantization == WeightQuantization.None)
            problems.Add("quant_scope all quantizes the embedding and unembedding, so it needs binary or ternary weights (use --quant binary or ternary, or --quant-scope linears).");
        return problems;
    }

    public TransformerConfig Validated()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ConfigException("Invalid model config: " + string.Join(" ", problems));
        return this;
    }

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static TransformerConfig FromJson(string json) =>
        JsonSerializer.Deserialize<TransformerConfig>(json, JsonOptions)
        ?? throw new ConfigException("The model config JSON is empty.");
}

/// <summary>A setting that cannot describe a model or a run; the message says which and why.</summary>
public sealed class ConfigException(string message) : BitOnnxException(message);
