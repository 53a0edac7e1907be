using System.Globalization;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Checkpoints;

/// <summary>
/// A <see cref="SequenceModelConfig"/> model as safetensors: one tensor per parameter under its TransformerLens name,
/// optionally AdamW's moments under "adamw.m.NAME" and "adamw.v.NAME" (what a resumed run needs), and in
/// "__metadata__" the format, the config (JSON), the task's name, the seed and the steps taken.
/// </summary>
public static class SequenceCheckpoint
{
    public const string FormatKey = "format";
    public const string FormatValue = "bitonnx-sequence-1";
    public const string ConfigKey = "config";
    public const string TaskKey = "task";
    public const string SeedKey = "seed";
    public const string StepKey = "step";
    public const string FirstMomentPrefix = "adamw.m.";
    public const string SecondMomentPrefix = "adamw.v.";

    /// <summary>What a checkpoint holds: parameters in the config's order, and the moments when it was saved for resuming.</summary>
    public sealed record Contents(SequenceModelConfig Config, long Seed, long Step, IReadOnlyList<NamedTensor> Parameters,
        IReadOnlyList<NamedTensor>? FirstMoments, IReadOnlyList<NamedTensor>? SecondMoments);

    public static void Save(string path, Contents contents)
    {
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatValue,
            [ConfigKey] = contents.Config.ToJson(),
            [TaskKey] = contents.Config.Task,
            [SeedKey] = contents.Seed.ToString(CultureInfo.InvariantCulture),
            [StepKey] = contents.Step.ToString(CultureInfo.InvariantCulture),
        };
        var tensors = contents.Parameters.AsEnumerable();
        if (contents.FirstMoments is { } m) tensors = tensors.Concat(m.Select(t => t with { Name = FirstMomentPrefix + t.Name }));
        if (contents.SecondMoments is { } v) tensors = tensors.Concat(v.Select(t => t with { Name = SecondMomentPrefix + t.Name }));
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>Reads a checkpoint <see cref="Save"/> wrote, every parameter present with its shape and finite.</summary>
    public static Contents Load(string path)
    {
        var (tensors, metadata) = SafeTensorsFile.Read(path);
        if (!metadata.TryGetValue(FormatKey, out var format) || format != FormatValue || !metadata.TryGetValue(ConfigKey, out var json))
            throw new CheckpointException(path, $"'{path}' is not a sequence-model checkpoint (its metadata has no format '{FormatValue}' and config); give a model.safetensors written by SequenceTrainer.");
        SequenceModelConfig config;
        try
        {
            config = SequenceModelConfig.FromJson(json).Validated();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ConfigException)
        {
            throw new CheckpointException(path, $"'{path}' has an unreadable model config: {e.Message}", e);
        }
        var byName = tensors.ToDictionary(t => t.Name);
        var problems = new List<string>();
        IReadOnlyList<NamedTensor>? Group(string prefix, bool required)
        {
            var list = new List<NamedTensor>();
            foreach (var p in config.Parameters())
            {
                if (!byName.TryGetValue(prefix + p.Name, out var t))
                {
                    if (!required && list.Count == 0 && !tensors.Any(x => x.Name.StartsWith(prefix, StringComparison.Ordinal))) return null;
                    problems.Add($"'{prefix + p.Name}' is missing");
                    continue;
                }
                if (!t.Shape.Equals(p.Shape)) problems.Add($"'{t.Name}' has shape {t.Shape}, expected {p.Shape}");
                else if (t.Data.Any(x => !float.IsFinite(x))) problems.Add($"'{t.Name}' holds a value that is not a finite number");
                list.Add(t with { Name = p.Name });
            }
            return list;
        }
        var parameters = Group("", required: true)!;
        var first = Group(FirstMomentPrefix, required: false);
        var second = Group(SecondMomentPrefix, required: false);
        if (problems.Count > 0) throw new CheckpointException(path, $"'{path}' does not match its config: {string.Join("; ", problems)}.");
        long seed = ParseLong(path, metadata, SeedKey), step = ParseLong(path, metadata, StepKey);
        return new Contents(config, seed, step, parameters, first, second);
    }

    private static long ParseLong(string path, IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new CheckpointException(path, $"'{path}' has no integer '{key}' in its metadata; the file is not a complete sequence-model checkpoint.");
}
