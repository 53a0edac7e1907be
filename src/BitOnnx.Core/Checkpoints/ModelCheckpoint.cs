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
        /// <summary>The file it was read from; empty for a checkpoint made in memory.</summary>
        public string Path { get; init; } = "";

        public ModularAdditionData Split() =>
            ModularAdditionData.FromTrainRows(Config.P, Facts.TrainRows, Facts.Seed, Facts.TrainFraction);
    }

    /// <summary>
    /// Reads a checkpoint written by <see cref="Save"/>. Refuses, naming the tensor, any weight that is not a finite
    /// number: a model with NaN or infinite weights computes garbage that every later step would faithfully agree on.
    /// </summary>
    public static Loaded Load(string path)
    {
        var (tensors, metadata) = SafeTensorsFile.Read(path);
        if (!metadata.TryGetValue(ConfigKey, out var configJson))
            throw new CheckpointException(path, $"'{path}' has no '{ConfigKey}' in its metadata: it was not written by bitonnx train.");
        TransformerConfig config;
        try
        {
            config = TransformerConfig.FromJson(configJson).Validated();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ConfigException)
        {
            throw new CheckpointException(path, $"'{path}' has an unreadable model config: {e.Message}", e);
        }
        var byName = new Dictionary<string, NamedTensor>();
        foreach (var t in tensors) byName[t.Name] = t;
        var parameters = ParameterSet.Zeros(config);
        var problems = new List<string>();
        foreach (var info in parameters.Entries)
        {
            if (!byName.TryGetValue(info.Name, out var tensor)) problems.Add($"'{info.Name}' is missing");
            else if (!tensor.Shape.Equals(info.Shape)) problems.Add($"'{info.Name}' has shape {tensor.Shape}, expected {info.Shape}");
            else tensor.Data.CopyTo(parameters.Slice(info));
        }
        if (problems.Count > 0)
            throw new CheckpointException(path, $"'{path}' does not match its config: {string.Join("; ", problems)}.");
        RequireFinite(path, tensors);
        var facts = new CheckpointFacts(
            ParseLong(metadata, SeedKey, path),
            ParseLong(metadata, EpochKey, path),
            metadata.TryGetValue(TrainFractionKey, out var f) ? ParseFraction(f, path) : 0,
            metadata.TryGetValue(TrainRowsKey, out var rows) && rows.Length > 0 ? ParseRows(rows, config.P, path) : []);
        return new Loaded(config, parameters, facts, byName, metadata) { Path = path };
    }

    /// <summary>Throws naming the first tensor (and its first element) that is NaN or infinite.</summary>
    public static void RequireFinite(string path, IEnumerable<NamedTensor> tensors)
    {
        foreach (var t in tensors)
        {
            var i = FirstNonFinite(t.Data);
            if (i >= 0)
                throw new CheckpointException(path, string.Create(CultureInfo.InvariantCulture,
                    $"'{path}': tensor '{t.Name}' holds {t.Data[i]} at element {i}; a model with non-finite weights cannot be used. Retrain it or take an earlier checkpoint."));
        }
    }

    private static int FirstNonFinite(float[] values)
    {
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    private static long ParseLong(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new CheckpointException(path, $"'{path}' has no valid '{key}' in its metadata.");

    private static double ParseFraction(string text, string path) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 1
            ? v
            : throw new CheckpointException(path, $"'{path}' has '{TrainFractionKey}' = '{text}' in its metadata, not a fraction.");

    private static int[] ParseRows(string text, int p, string path)
    {
        var parts = text.Split(',');
        var rows = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out rows[i]) || rows[i] >= p * p)
                throw new CheckpointException(path, $"'{path}' has '{TrainRowsKey}' entry '{parts[i]}', not a pair row in 0..{p * p - 1}.");
        return rows;
    }
}
