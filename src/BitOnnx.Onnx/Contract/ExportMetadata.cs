using System.Globalization;
using BitOnnx.Core.Model;

namespace BitOnnx.Onnx.Contract;

/// <summary>
/// What an exported model says about itself, as <c>bitonnx.*</c> metadata_props: written by the exporter through
/// <see cref="Entries"/>, read by everyone through <see cref="Read"/>. Only the modulus P is required of a model from
/// another producer that follows <see cref="ModelContract"/>'s names (input <c>tokens</c> int64 [batch, 3], output
/// <c>logits</c> [batch, P]): it comes from <c>bitonnx.p</c> or else from the fixed width of <c>logits</c>, and the
/// other facts are null.
/// </summary>
/// <param name="P">The modulus.</param>
/// <param name="Config">The model's config (architecture and quantization).</param>
/// <param name="Weights">How the quantizable linears are stored (float, int8, int2, int8-dynamic).</param>
/// <param name="Input">What the graph takes: <see cref="ModelContract.Tokens"/>, <see cref="ModelContract.Embedded"/> or "pair".</param>
/// <param name="Precision">"float" or "double".</param>
/// <param name="Probes">The hook names exposed as outputs.</param>
/// <param name="Seed">The training seed of the checkpoint.</param>
/// <param name="Epoch">The checkpoint's epoch.</param>
/// <param name="TrainFraction">The checkpoint's train fraction.</param>
/// <param name="ExporterVersion">The version of BitOnnx that wrote the file.</param>
/// <param name="WeightsSha256">The checkpoint's weights' identity (<see cref="ParameterSet.Sha256"/>).</param>
/// <param name="Writable">The hooks a Run may write (Surgery.WritableHooks).</param>
public sealed record ExportMetadata(
    int P,
    TransformerConfig? Config = null,
    string? Weights = null,
    string? Input = null,
    string? Precision = null,
    IReadOnlyList<string>? Probes = null,
    long? Seed = null,
    long? Epoch = null,
    double? TrainFraction = null,
    string? ExporterVersion = null,
    string? WeightsSha256 = null,
    IReadOnlyList<string>? Writable = null)
{
    private const string Prefix = "bitonnx.";
    private const string PKey = Prefix + "p";
    private const string ConfigKey = Prefix + "config";
    private const string PresetKey = Prefix + "preset";
    private const string QuantKey = Prefix + "quant";
    private const string QuantScopeKey = Prefix + "quant_scope";
    private const string WeightsKey = Prefix + "weights";
    private const string InputKey = Prefix + "input";
    private const string PrecisionKey = Prefix + "precision";
    private const string ProbesKey = Prefix + "probes";
    private const string SeedKey = Prefix + "seed";
    private const string EpochKey = Prefix + "epoch";
    private const string TrainFractionKey = Prefix + "train_fraction";
    private const string ExporterVersionKey = Prefix + "exporter_version";
    private const string WeightsSha256Key = Prefix + "weights_sha256";
    private const string WritableKey = Prefix + "writable";

    /// <summary>The input kind of a pair-signature export (ML.NET).</summary>
    public const string PairInput = "pair";

    /// <summary>Every metadata entry as it is read, including keys of other producers.</summary>
    public IReadOnlyDictionary<string, string> All { get; init; } = new Dictionary<string, string>();

    /// <summary>The hooks a Run may write; empty when none.</summary>
    public IReadOnlyList<string> WritableHooks => Writable ?? [];

    /// <summary>The exposed probes; empty when none (or unknown).</summary>
    public IReadOnlyList<string> ProbeNames => Probes ?? [];

    /// <summary>
    /// True for a model that rounds its activations to 8 bits on every call (<c>--weights int2</c>, <c>int2-native</c>,
    /// <c>int8-dynamic</c>), so its outputs are close to the engine's, not equal.
    /// </summary>
    public bool QuantizedActivations => Weights is { } name && Export.WeightFormats.Names.Contains(name) && Export.WeightFormats.QuantizesActivations(Export.WeightFormats.Parse(name));

    /// <summary>
    /// The metadata_props to write, in a fixed order. Preset, quantization and scope are repeated beside the config for
    /// readers that show metadata (Netron); <see cref="Read"/> takes them from the config.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries()
    {
        var entries = new List<KeyValuePair<string, string>>();
        void Add(string key, string? value)
        {
            if (value is not null) entries.Add(new(key, value));
        }
        string S(long v) => v.ToString(CultureInfo.InvariantCulture);
        Add(ConfigKey, Config?.ToJson());
        Add(PresetKey, Config?.Preset);
        Add(QuantKey, Config?.Quantization.ToString().ToLowerInvariant());
        Add(QuantScopeKey, Config?.QuantScope.ToString().ToLowerInvariant());
        Add(PKey, S(P));
        Add(WeightsKey, Weights);
        Add(InputKey, Input);
        Add(PrecisionKey, Precision);
        Add(ProbesKey, Probes is null ? null : string.Join(",", Probes));
        Add(SeedKey, Seed is { } seed ? S(seed) : null);
        Add(EpochKey, Epoch is { } epoch ? S(epoch) : null);
        Add(TrainFractionKey, TrainFraction?.ToString("R", CultureInfo.InvariantCulture));
        Add(ExporterVersionKey, ExporterVersion);
        Add(WeightsSha256Key, WeightsSha256);
        Add(WritableKey, Writable is null ? null : string.Join(",", Writable));
        return entries;
    }

    /// <summary>Reads the metadata of <paramref name="model"/>; <paramref name="name"/> names the model in errors.</summary>
    public static ExportMetadata Read(OnnxModel model, string name)
    {
        var all = model.Metadata;
        var p = ReadP(model, name);
        TransformerConfig? config = null;
        if (all.TryGetValue(ConfigKey, out var json))
        {
            try
            {
                config = TransformerConfig.FromJson(json).Validated();
            }
            catch (Exception e) when (e is ConfigException or System.Text.Json.JsonException)
            {
                throw new OnnxFormatException(name, $"Model '{name}': metadata {ConfigKey} is not a model config ({e.Message}); re-export it with bitonnx export.", e);
            }
            if (config.P != p) throw new OnnxFormatException(name, $"Model '{name}': its config says P = {config.P} but the model is for P = {p}; re-export it with bitonnx export.");
        }
        string? Text(string key) => all.TryGetValue(key, out var v) ? v : null;
        long? Long(string key) => Text(key) is { } v && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        return new ExportMetadata(
            p, config, Text(WeightsKey), Text(InputKey), Text(PrecisionKey),
            Text(ProbesKey) is { Length: > 0 } list ? list.Split(',') : [],
            Long(SeedKey), Long(EpochKey),
            Text(TrainFractionKey) is { } f && double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) ? fraction : null,
            Text(ExporterVersionKey),
            Text(WeightsSha256Key),
            Text(WritableKey) is { Length: > 0 } writable ? writable.Split(',') : [])
        {
            All = all,
        };
    }

    /// <summary>P from <c>bitonnx.p</c> or from the width of <c>logits</c>, checked against each other when both exist.</summary>
    public static int ReadP(OnnxModel model, string name)
    {
        if (SequenceExportMetadata.TaskOf(model) is { } task)
            throw new ModelContractException($"Model '{name}' is a sequence model of task {task}, not a modular-addition model; ask it a question (bitonnx predict {name} QUESTION) or open it with SequenceSession.");
        var logits = model.Outputs.FirstOrDefault(o => o.Name == ModelContract.Logits)
            ?? throw new ModelContractException(
                $"Model '{name}' has no output named '{ModelContract.Logits}' (outputs: {string.Join(", ", model.Outputs.Select(o => o.Name))}); give a model written by bitonnx export.");
        int? width = logits.Shape is { Count: >= 2 } s && s[^1].Size is long w ? (int)w : null;
        int? fromMetadata = null;
        if (model.Metadata.TryGetValue(PKey, out var text))
        {
            fromMetadata = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed >= 2
                ? parsed
                : throw new OnnxFormatException(name, $"Model '{name}': metadata {PKey} = '{text}' is not a modulus (a whole number ≥ 2); re-export it with bitonnx export.");
        }
        if (fromMetadata is int m && width is int lw && m != lw)
            throw new OnnxFormatException(name, $"Model '{name}': metadata says P = {m} but its logits have {lw} columns; re-export it with bitonnx export.");
        return fromMetadata ?? width ?? throw new OnnxFormatException(name,
            $"Model '{name}' does not say its modulus: it has no '{PKey}' metadata and its logits output has no fixed width; re-export it with bitonnx export.");
    }

    /// <summary>Writes these facts into <paramref name="model"/>'s metadata_props, replacing the bitonnx entries it had.</summary>
    public void WriteInto(Proto.ModelProto model)
    {
        var others = model.MetadataProps.Where(m => !m.Key.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        model.MetadataProps.Clear();
        model.MetadataProps.Add(others);
        foreach (var (key, value) in Entries()) model.MetadataProps.Add(new Proto.StringStringEntryProto { Key = key, Value = value });
    }
}
