using System.Globalization;
using BitOnnx.Core.Model;

namespace BitOnnx.Onnx.Contract;

/// <summary>
/// What an exported sequence model (<see cref="SequenceModelConfig"/>: tokens [batch, seq] → logits [batch, seq,
/// d_vocab_out], Quirke et al.'s arithmetic) says about itself, as <c>bitonnx.*</c> metadata_props. The key
/// <c>bitonnx.model = sequence</c> is what tells a loader that the file is not a modular-addition model: written here
/// through <see cref="Entries"/>, read by everyone through <see cref="Read"/> and <see cref="IsSequenceModel"/>.
/// </summary>
/// <param name="Config">The model's config; its Task names the task ("add5").</param>
/// <param name="Probes">The hook names exposed as outputs.</param>
/// <param name="Writable">The hooks a run may write (H' = mask ? values : H).</param>
/// <param name="Seed">The checkpoint's training seed.</param>
/// <param name="Step">The checkpoint's step.</param>
/// <param name="ExporterVersion">The version of BitOnnx that wrote the file.</param>
public sealed record SequenceExportMetadata(
    SequenceModelConfig Config,
    IReadOnlyList<string> Probes,
    IReadOnlyList<string> Writable,
    long? Seed = null,
    long? Step = null,
    string? ExporterVersion = null)
{
    /// <summary>The value of <c>bitonnx.model</c> that marks a sequence model.</summary>
    public const string SequenceKind = "sequence";

    private const string KindKey = "bitonnx.model";
    private const string TaskKey = "bitonnx.task";
    private const string ConfigKey = "bitonnx.sequence_config";
    private const string WeightsKey = "bitonnx.weights";
    private const string ProbesKey = "bitonnx.probes";
    private const string WritableKey = "bitonnx.writable";
    private const string SeedKey = "bitonnx.seed";
    private const string StepKey = "bitonnx.step";
    private const string ExporterVersionKey = "bitonnx.exporter_version";

    /// <summary>The metadata_props to write, in a fixed order; task and weights are repeated for readers that show metadata (Netron).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries()
    {
        var entries = new List<KeyValuePair<string, string>>
        {
            new(KindKey, SequenceKind),
            new(TaskKey, Config.Task),
            new(ConfigKey, Config.ToJson()),
            new(WeightsKey, "float"),
            new(ProbesKey, string.Join(",", Probes)),
            new(WritableKey, string.Join(",", Writable)),
        };
        if (Seed is { } seed) entries.Add(new(SeedKey, seed.ToString(CultureInfo.InvariantCulture)));
        if (Step is { } step) entries.Add(new(StepKey, step.ToString(CultureInfo.InvariantCulture)));
        if (ExporterVersion is not null) entries.Add(new(ExporterVersionKey, ExporterVersion));
        return entries;
    }

    /// <summary>Whether <paramref name="model"/> says it is a sequence model.</summary>
    public static bool IsSequenceModel(OnnxModel model) =>
        model.Metadata.TryGetValue(KindKey, out var kind) && kind == SequenceKind;

    /// <summary>The task a sequence model says it answers ("add5"), or null for any other model.</summary>
    public static string? TaskOf(OnnxModel model) =>
        IsSequenceModel(model) && model.Metadata.TryGetValue(TaskKey, out var task) ? task : null;

    /// <summary>Reads a sequence model's metadata; any other model is a one-sentence <see cref="ModelContractException"/>.</summary>
    public static SequenceExportMetadata Read(OnnxModel model, string name)
    {
        var all = model.Metadata;
        if (!IsSequenceModel(model))
            throw new ModelContractException(all.ContainsKey("bitonnx.p")
                ? $"Model '{name}' is a modular-addition model, not a sequence model; export an arithmetic checkpoint (bitonnx train --task add5) to ask it questions."
                : $"Model '{name}' is not a sequence model (its metadata has no {KindKey} = {SequenceKind}); give an .onnx file that bitonnx export wrote from an arithmetic checkpoint.");
        if (!all.TryGetValue(ConfigKey, out var json))
            throw new OnnxFormatException(name, $"Model '{name}' says it is a sequence model but carries no {ConfigKey}; re-export it with bitonnx export.");
        SequenceModelConfig config;
        try
        {
            config = SequenceModelConfig.FromJson(json).Validated();
        }
        catch (Exception e) when (e is ConfigException or System.Text.Json.JsonException)
        {
            throw new OnnxFormatException(name, $"Model '{name}': metadata {ConfigKey} is not a sequence model config ({e.Message}); re-export it with bitonnx export.", e);
        }
        IReadOnlyList<string> List(string key) => all.TryGetValue(key, out var v) && v.Length > 0 ? v.Split(',') : [];
        long? Long(string key) => all.TryGetValue(key, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        return new SequenceExportMetadata(config, List(ProbesKey), List(WritableKey), Long(SeedKey), Long(StepKey),
            all.TryGetValue(ExporterVersionKey, out var version) ? version : null);
    }
}
