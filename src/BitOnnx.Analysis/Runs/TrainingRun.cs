using BitOnnx.Analysis.Inputs;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Onnx.Contract;

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

    /// <summary>
    /// Refuses a run that is not the model's: another P, another config or seed (from the export's metadata), or, when
    /// the run holds the checkpoint of the model's epoch, other weights (their sha256 against the one the export recorded).
    /// Without bitonnx metadata only P can be compared.
    /// </summary>
    public void RequireModel(ExportMetadata model, string modelName)
    {
        string Refuse(string what) => $"Run folder '{Path}' is not the run of model '{modelName}': {what}. Give the run the model was exported from, or leave out --run.";
        if (model.P != Config.P)
            throw new AnalysisInputException(Refuse($"the run is for P = {Config.P}, the model for P = {model.P}"));
        if (model.Config is { } config)
        {
            var trained = RunConfig();
            if (trained != config)
                throw new AnalysisInputException(Refuse($"the run trained {trained.Describe()}, the model is {config.Describe()}"));
        }
        if (model.Seed is { } seed && seed != Config.Seed)
            throw new AnalysisInputException(Refuse($"the run used seed {Config.Seed}, the model seed {seed}"));
        if (model.WeightsSha256 is { } hash && model.Epoch is { } epoch && WeightsAt(epoch) is { } weights && weights.Sha256 != hash)
            throw new AnalysisInputException(Refuse($"the run's weights at epoch {epoch} ({weights.File}) are not the model's"));
    }

    /// <summary>The run's weights at <paramref name="epoch"/>, from its latest model or a kept checkpoint; null when it kept neither.</summary>
    private (string File, string Sha256)? WeightsAt(long epoch)
    {
        var latest = new RunFolder(Path).ModelFile;
        foreach (var file in new[] { latest }.Concat(Checkpoints.Where(c => c.Epoch == epoch).Select(c => c.Path)))
        {
            if (!File.Exists(file)) continue;
            var checkpoint = ModelCheckpoint.Load(file);
            if (checkpoint.Facts.Epoch == epoch) return (file, checkpoint.Parameters.Sha256());
        }
        return null;
    }

    /// <summary>The run's model config, read from config.json (a superset of the config's JSON).</summary>
    private TransformerConfig RunConfig()
    {
        try
        {
            return TransformerConfig.FromJson(Config.Json);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ConfigException)
        {
            throw new RunFolderException(System.IO.Path.Combine(Path, "config.json"), $"'{Path}/config.json' does not hold a model config ({e.Message}).", e);
        }
    }

}
