using BitOnnx.Analysis.Inputs;
using BitOnnx.Core.Training;

namespace BitOnnx.Analysis.Runs;

/// <summary>A checkpoint file of a run.</summary>
public sealed record CheckpointFile(int Epoch, string Path);

/// <summary>
/// A training run as the analysis sees it: its settings, loss curves, split and checkpoint series, read through Core's
/// <see cref="RunFolder"/> (the one class that writes and reads that folder). config.json is required, the rest optional.
/// </summary>
public sealed record TrainingRun(string Path, RunSettings Config, TrainingMetrics? Metrics, RunSplit? Split, IReadOnlyList<CheckpointFile> Checkpoints)
{
    public static TrainingRun Load(string path)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"Run folder '{path}' does not exist.");
        var folder = new RunFolder(path);
        var config = folder.ReadSettings();
        var checkpoints = folder.Checkpoints().Select(c => new CheckpointFile(c.Epoch, c.File)).ToArray();
        return new TrainingRun(path, config, folder.ReadCurves(), folder.ReadSplit(config.P), checkpoints);
    }

    /// <summary>Throws a clear error when the model's P differs from the run's.</summary>
    public void RequireSameP(IProbeSource probes, string modelName)
    {
        if (probes.P != Config.P)
        {
            throw new AnalysisInputException(
                $"P mismatch: run folder '{Path}' says p = {Config.P} (config.json) but model '{modelName}' has P = {probes.P}. " +
                "Analyse a model exported from this run's checkpoints, or pass the matching run folder.");
        }
    }

}
