using System.Globalization;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Checkpoints;

/// <summary>What a checkpoint records besides its tensors.</summary>
public sealed record CheckpointFacts(long Seed, long Epoch, double TrainFraction, IReadOnlyList<int> TrainRows);

/// <summary>
/// A model as safetensors: one tensor per parameter under its TransformerLens name, and in "__metadata__" the config
/// (JSON), seed, epoch, train fraction and the train split (rows a·P + b, comma separated).
/// </summary>
public static class ModelCheckpoint
{
    public const string ConfigKey = "config";
    public const string SeedKey = "seed";
    public const string EpochKey = "epoch";
    public const string TrainFractionKey = "train_fraction";
    public const string TrainRowsKey = "split_train_rows";
    public const string FormatKey = "format";
    public const string FormatValue = "bitonnx-transformer-1";

    public static void Save(string path, TransformerConfig config, ParameterSet parameters, CheckpointFacts facts,
        IEnumerable<NamedTensor>? extraTensors = null, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatValue,
            [ConfigKey] = config.ToJson(),
            [SeedKey] = facts.Seed.ToString(CultureInfo.InvariantCulture),
            [EpochKey] = facts.Epoch.ToString(CultureInfo.InvariantCulture),
            [TrainFractionKey] = facts.TrainFraction.ToString("R", CultureInfo.InvariantCulture),
            [TrainRowsKey] = string.Join(",", facts.TrainRows),
        };
        if (extraMetadata is not null)
            foreach (var (k, v) in extraMetadata) metadata[k] = v;
        var tensors = parameters.Entries.Select(e => new NamedTensor(e.Name, e.Shape, parameters.Slice(e).ToArray()));
        SafeTensorsFile.Write(path, extraTensors is null ? tensors : tensors.Concat(extraTensors), metadata);
    }

    public sealed record Loaded(TransformerConfig Config, ParameterSet Parameters, CheckpointFacts Facts,
        IReadOnlyDictionary<string, NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata)
    {
        public ModularAdditionData Split() =>
            ModularAdditionData.FromTrainRows(Config.P, Facts.TrainRows, Facts.Seed, Facts.TrainFraction);
    }

    public static Loaded Load(string path)
    {
        var (tensors, metadata) = SafeTensorsFile.Read(path);
        if (!metadata.TryGetValue(ConfigKey, out var configJson))
            throw new CheckpointException($"'{path}' has no '{ConfigKey}' in its metadata: it was not written by bitonnx train.");
        TransformerConfig config;
        try
        {
            config = TransformerConfig.FromJson(configJson).Validated();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ConfigException)
        {
            throw new CheckpointException($"'{path}' has an unreadable model config: {e.Message}");
        }
        var byName = tensors.ToDictionary(t => t.Name);
        var parameters = ParameterSet.Zeros(config);
        var problems = new List<string>();
        foreach (var info in parameters.Entries)
        {
            if (!byName.TryGetValue(info.Name, out var tensor)) problems.Add($"'{info.Name}' is missing");
            else if (!tensor.Shape.Equals(info.Shape)) problems.Add($"'{info.Name}' has shape {tensor.Shape}, expected {info.Shape}");
            else tensor.Data.CopyTo(parameters.Slice(info));
        }
        if (problems.Count > 0)
            throw new CheckpointException($"'{path}' does not match its config: {string.Join("; ", problems)}.");
        var facts = new CheckpointFacts(
            ParseLong(metadata, SeedKey, path),
            ParseLong(metadata, EpochKey, path),
            metadata.TryGetValue(TrainFractionKey, out var f) ? double.Parse(f, CultureInfo.InvariantCulture) : 0,
            metadata.TryGetValue(TrainRowsKey, out var rows) && rows.Length > 0
                ? rows.Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray()
                : []);
        return new Loaded(config, parameters, facts, byName, metadata);
    }

    private static long ParseLong(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new CheckpointException($"'{path}' has no valid '{key}' in its metadata.");
}
