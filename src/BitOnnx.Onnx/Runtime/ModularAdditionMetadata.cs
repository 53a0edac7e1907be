using System.Globalization;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;

namespace BitOnnx.Onnx.Runtime;

/// <summary>
/// What a modular-addition ONNX model says about itself: its modulus P (metadata <c>bitonnx.p</c>, else the fixed width
/// of the <c>logits</c> output) and, for a <c>bitonnx export</c>, the config and export facts that
/// <see cref="TransformerExporter"/> writes as <c>bitonnx.*</c> metadata. A model from another producer that follows the
/// names (input <c>tokens</c> int64 [batch, 3], output <c>logits</c> [batch, P]) has a P and nulls elsewhere.
/// </summary>
public sealed record ModularAdditionMetadata(
    int P,
    TransformerConfig? Config,
    string? Preset,
    string? Quantization,
    string? Weights,
    IReadOnlyList<string> Probes,
    IReadOnlyDictionary<string, string> All)
{
    public const string Prefix = TransformerExporter.MetadataPrefix;
    public const string PKey = Prefix + "p";
    public const string ConfigKey = Prefix + "config";
    public const string LogitsOutput = HookNames.Logits;

    /// <summary>True for a model whose activations are quantized on every call (<c>--weights int8-dynamic</c>).</summary>
    public bool DynamicQuantization => Weights == WeightFormats.Name(WeightFormat.Int8Dynamic);

    /// <summary>
    /// True for a model that rounds its activations to 8 bits on every call (<c>--weights int2</c>, <c>int2-native</c>,
    /// <c>int8-dynamic</c>), so its outputs are close to the engine's, not equal.
    /// </summary>
    public bool QuantizedActivations => Weights is { } name && WeightFormats.Names.Contains(name) && WeightFormats.QuantizesActivations(WeightFormats.Parse(name));

    /// <summary>Reads the metadata; <paramref name="name"/> names the model in errors.</summary>
    public static ModularAdditionMetadata Read(OnnxModel model, string name)
    {
        var all = model.Metadata;
        int p = ReadP(model, name);
        TransformerConfig? config = null;
        if (all.TryGetValue(ConfigKey, out var json))
        {
            try
            {
                config = TransformerConfig.FromJson(json);
            }
            catch (Exception e) when (e is ConfigException or System.Text.Json.JsonException)
            {
                throw new ModelSessionException($"Model '{name}': metadata {ConfigKey} is not a model config ({e.Message}); re-export it with bitonnx export.", e);
            }
            if (config.P != p) throw new ModelSessionException($"Model '{name}': its config says P = {config.P} but the model is for P = {p}; re-export it with bitonnx export.");
        }
        string? Text(string key) => all.TryGetValue(Prefix + key, out var v) ? v : null;
        var probes = Text("probes") is { Length: > 0 } list ? list.Split(',') : [];
        return new ModularAdditionMetadata(p, config, Text("preset"), Text("quant"), Text("weights"), probes, all);
    }

    /// <summary>P from <c>bitonnx.p</c> or from the width of <c>logits</c>, checked against each other when both exist.</summary>
    public static int ReadP(OnnxModel model, string name)
    {
        var logits = model.Outputs.FirstOrDefault(o => o.Name == LogitsOutput)
            ?? throw new ModelSessionException(
                $"Model '{name}' has no output named '{LogitsOutput}' (outputs: {string.Join(", ", model.Outputs.Select(o => o.Name))}); give a model written by bitonnx export.");
        int? width = logits.Shape is { Count: >= 2 } s && s[^1].Size is long w ? (int)w : null;
        int? fromMetadata = null;
        if (model.Metadata.TryGetValue(PKey, out var text))
        {
            fromMetadata = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed >= 2
                ? parsed
                : throw new ModelSessionException($"Model '{name}': metadata {PKey} = '{text}' is not a modulus (a whole number ≥ 2); re-export it with bitonnx export.");
        }
        if (fromMetadata is int m && width is int lw && m != lw)
            throw new ModelSessionException($"Model '{name}': metadata says P = {m} but its logits have {lw} columns; re-export it with bitonnx export.");
        return fromMetadata ?? width ?? throw new ModelSessionException(
            $"Model '{name}' does not say its modulus: it has no '{PKey}' metadata and its logits output has no fixed width; re-export it with bitonnx export.");
    }
}
