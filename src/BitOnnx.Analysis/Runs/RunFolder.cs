using System.Globalization;
using System.Text.RegularExpressions;
using BitOnnx.Analysis.Inputs;

namespace BitOnnx.Analysis.Runs;

/// <summary>A checkpoint file of a run.</summary>
public sealed record CheckpointFile(int Epoch, string Path);

/// <summary>
/// A training run folder as the trainer writes it: config.json, metrics.csv, split.json and
/// checkpoints/epoch-NNNNNN.safetensors. Parsed here directly, so the analysis needs nothing from the trainer.
/// </summary>
public sealed partial record RunFolder(string Path, RunConfig Config, TrainingMetrics? Metrics, DataSplit? Split, IReadOnlyList<CheckpointFile> Checkpoints)
{
    /// <summary>Reads a run folder; config.json is required, the rest optional.</summary>
    public static RunFolder Load(string path)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"Run folder '{path}' does not exist.");
        string configPath = System.IO.Path.Combine(path, "config.json");
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"'{path}' has no config.json: is it a run folder written by `bitonnx train`?", configPath);
        var config = RunConfig.Parse(File.ReadAllText(configPath), configPath);

        string metricsPath = System.IO.Path.Combine(path, "metrics.csv");
        var metrics = File.Exists(metricsPath) ? TrainingMetrics.Parse(File.ReadAllText(metricsPath), metricsPath) : null;
        string splitPath = System.IO.Path.Combine(path, "split.json");
        var split = File.Exists(splitPath) ? DataSplit.Parse(File.ReadAllText(splitPath), splitPath, config.P) : null;

        var checkpoints = new List<CheckpointFile>();
        string dir = System.IO.Path.Combine(path, "checkpoints");
        if (Directory.Exists(dir))
        {
            foreach (var file in Directory.EnumerateFiles(dir, "epoch-*.safetensors"))
            {
                var m = CheckpointName().Match(System.IO.Path.GetFileName(file));
                if (m.Success) checkpoints.Add(new CheckpointFile(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), file));
            }
        }
        return new RunFolder(path, config, metrics, split, checkpoints.OrderBy(c => c.Epoch).ToArray());
    }

    /// <summary>Throws a clear error when the model's P differs from the run's.</summary>
    public void RequireSameP(IProbeSource probes, string modelName)
    {
        if (probes.P != Config.P)
        {
            throw new InvalidDataException(
                $"P mismatch: run folder '{Path}' says p = {Config.P} (config.json) but model '{modelName}' has P = {probes.P}. " +
                "Analyse a model exported from this run's checkpoints, or pass the matching run folder.");
        }
    }

    [GeneratedRegex(@"^epoch-(\d+)\.safetensors$")]
    private static partial Regex CheckpointName();
}
