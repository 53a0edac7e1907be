using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Training;

/// <summary>
/// The files of one training run: config.json (model and training settings, flat), split.json, metrics.csv,
/// model.safetensors (the latest weights), resume.safetensors (weights and optimizer state), stop.json (why it stopped,
/// once it has), checkpoints/epoch-NNNNNN.safetensors and, when it trains with BIMT, bimt-swaps.csv.
/// </summary>
public sealed class RunFolder(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string ConfigFile => System.IO.Path.Combine(Path, "config.json");
    public string SplitFile => System.IO.Path.Combine(Path, "split.json");
    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.csv");
    public string ModelFile => System.IO.Path.Combine(Path, "model.safetensors");
    public string ResumeFile => System.IO.Path.Combine(Path, "resume.safetensors");
    public string StopFile => System.IO.Path.Combine(Path, "stop.json");
    public string SwapsFile => System.IO.Path.Combine(Path, "bimt-swaps.csv");
    public string CheckpointDirectory => System.IO.Path.Combine(Path, "checkpoints");

    public string CheckpointFile(int epoch) =>
        System.IO.Path.Combine(CheckpointDirectory, string.Create(CultureInfo.InvariantCulture, $"epoch-{epoch:D6}.safetensors"));

    /// <summary>Checkpoints of the series, in epoch order.</summary>
    public IReadOnlyList<(int Epoch, string File)> Checkpoints() =>
        !Directory.Exists(CheckpointDirectory)
            ? []
            : Directory.GetFiles(CheckpointDirectory, "epoch-*.safetensors")
                .Select(f => (Epoch: int.TryParse(System.IO.Path.GetFileNameWithoutExtension(f)[6..], NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : -1, File: f))
                .Where(x => x.Epoch >= 0)
                .OrderBy(x => x.Epoch)
                .ToList();

    /// <summary>Whether the folder holds a run: config.json, written first when a run starts, is what makes it one.</summary>
    public bool HoldsRun => File.Exists(ConfigFile);

    /// <summary>
    /// The epoch the run's files stand at: where it stopped (stop.json), else its last logged epoch; null when the folder
    /// holds no run or its files cannot be read (a message that names the epoch is then written without it).
    /// </summary>
    public int? StateEpoch()
    {
        if (!HoldsRun) return null;
        try
        {
            return ReadStop()?.Epoch ?? ReadMetrics().LastOrDefault()?.Epoch ?? 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Damaged files leave the epoch unknown; whether the folder holds a run does not depend on them.
            return null;
        }
    }

    /// <summary>
    /// Deletes the files of the run this folder holds (those named above, never others a user keeps beside them), so
    /// that a new run starts clean. Returns the epoch the deleted run stood at, or null when it held no run.
    /// </summary>
    public int? DeleteRun()
    {
        if (!HoldsRun) return null;
        var epoch = StateEpoch() ?? 0;
        foreach (var (_, file) in Checkpoints()) File.Delete(file);
        // config.json last: a deletion cut short still leaves a folder that says it holds a run.
        foreach (var file in new[] { SwapsFile, StopFile, ResumeFile, ModelFile, MetricsFile, SplitFile, ConfigFile })
        {
            if (File.Exists(file)) File.Delete(file);
        }
        return epoch;
    }

    /// <summary>Creates the folder and checks that it can be written, before any training time is spent.</summary>
    public void EnsureWritable() => OutputPath.RequireFolder(Path, "the run folder");

    public static string SettingsJson(TransformerConfig config, TrainingOptions options)
    {
        var flat = JsonNode.Parse(config.ToJson())!.AsObject();
        var o = options.Optimizer;
        flat["seed"] = options.Seed;
        flat["train_fraction"] = options.TrainFraction;
        flat["epochs"] = options.Epochs;
        flat["lr"] = o.LearningRate;
        flat["weight_decay"] = o.WeightDecay;
        flat["beta1"] = o.Beta1;
        flat["beta2"] = o.Beta2;
        flat["eps"] = o.Epsilon;
        flat["warmup_steps"] = o.WarmupSteps;
        flat["log_every"] = options.LogEvery;
        flat["checkpoint_every"] = options.CheckpointEvery;
        flat["threads"] = options.Threads;
        flat["stop_at_acc"] = options.StopAtAccuracy;
        flat["grokfast_alpha"] = options.Grokfast?.Alpha;
        flat["grokfast_lambda"] = options.Grokfast?.Lambda;
        flat["bimt_lambda"] = options.Bimt?.Lambda;
        return flat.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public void WriteSettings(TransformerConfig config, TrainingOptions options) =>
        AtomicFile.WriteText(ConfigFile, SettingsJson(config, options));

    public void WriteSplit(ModularAdditionData data)
    {
        var json = new JsonObject
        {
            ["p"] = data.P,
            ["seed"] = data.Seed,
            ["train_fraction"] = data.TrainFraction,
            ["train"] = new JsonArray(data.TrainRows.Select(r => (JsonNode)r).ToArray()),
        };
        AtomicFile.WriteText(SplitFile, json.ToJsonString());
    }

    public void WriteStop(StopRecord stop) => AtomicFile.WriteText(StopFile, stop.ToJson());

    /// <summary>Why the run stopped, or null while it has not (or was written before stop.json existed).</summary>
    public StopRecord? ReadStop() => File.Exists(StopFile) ? StopRecord.Parse(File.ReadAllText(StopFile), StopFile) : null;

    public void ClearStop()
    {
        if (File.Exists(StopFile)) File.Delete(StopFile);
    }

    /// <summary>The settings <see cref="WriteSettings"/> wrote; config.json is what makes a folder a run folder.</summary>
    public RunSettings ReadSettings() =>
        File.Exists(ConfigFile)
            ? RunSettings.Parse(File.ReadAllText(ConfigFile), ConfigFile)
            : throw new RunFolderException(ConfigFile, $"'{Path}' has no config.json: it is not a run folder written by bitonnx train.");

    /// <summary>The split <see cref="WriteSplit"/> wrote, its rows checked against <paramref name="p"/>; null when absent.</summary>
    public RunSplit? ReadSplit(int p) => File.Exists(SplitFile) ? RunSplit.Parse(File.ReadAllText(SplitFile), SplitFile, p) : null;

    /// <summary>metrics.csv as curves, header checked; null when absent.</summary>
    public TrainingMetrics? ReadCurves() => File.Exists(MetricsFile) ? TrainingMetrics.From(ReadMetrics()) : null;

    /// <summary>The rows of metrics.csv (none when it is absent), header and values checked.</summary>
    public IReadOnlyList<MetricsRow> ReadMetrics() =>
        File.Exists(MetricsFile) ? MetricsRow.ParseFile(File.ReadAllText(MetricsFile), MetricsFile) : [];

    /// <summary>Rewrites metrics.csv with exactly these rows (used when a run starts or resumes).</summary>
    public void WriteMetrics(IEnumerable<MetricsRow> rows) =>
        AtomicFile.WriteText(MetricsFile, MetricsRow.Header + "\n" + string.Concat(rows.Select(r => r.ToCsv() + "\n")));

    public void AppendMetrics(MetricsRow row) => File.AppendAllText(MetricsFile, row.ToCsv() + "\n");

    /// <summary>The rows of bimt-swaps.csv (none when it is absent), header and values checked.</summary>
    public IReadOnlyList<NeuronSwap> ReadSwaps() =>
        File.Exists(SwapsFile) ? NeuronSwap.ParseFile(File.ReadAllText(SwapsFile), SwapsFile) : [];

    /// <summary>Rewrites bimt-swaps.csv with exactly these rows (used when a BIMT run starts or resumes).</summary>
    public void WriteSwaps(IEnumerable<NeuronSwap> rows) =>
        AtomicFile.WriteText(SwapsFile, NeuronSwap.Header + "\n" + string.Concat(rows.Select(r => r.ToCsv() + "\n")));

    public void AppendSwaps(IEnumerable<NeuronSwap> rows) => File.AppendAllText(SwapsFile, string.Concat(rows.Select(r => r.ToCsv() + "\n")));
}

/// <summary>A new run was asked to start in a folder that already holds one; the message says how to go on.</summary>
public sealed class RunExistsException(string message) : BitOnnxException(message);
