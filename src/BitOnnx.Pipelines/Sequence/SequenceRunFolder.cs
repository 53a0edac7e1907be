using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Training;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>
/// The files of one sequence-model run: config.json (the task and every training setting, written first: it is what
/// makes the folder a run), metrics.csv, model.safetensors (the latest weights, without AdamW's moments),
/// resume.safetensors (weights and moments, while the run is unfinished), eval.json and the card README.md.
/// </summary>
public sealed class SequenceRunFolder(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string ConfigFile => File("config.json");
    public string MetricsFile => File("metrics.csv");
    public string ModelFile => File("model.safetensors");
    public string ResumeFile => File("resume.safetensors");
    public string EvaluationFile => File("eval.json");
    public string CardFile => File("README.md");

    public bool HoldsRun => System.IO.File.Exists(ConfigFile);

    /// <summary>The step the run stands at by its metrics (its last logged step), for messages; null when unknown.</summary>
    public long? LastLoggedStep()
    {
        if (!System.IO.File.Exists(MetricsFile)) return null;
        var last = System.IO.File.ReadLines(MetricsFile).Skip(1).LastOrDefault();
        return last is not null && long.TryParse(last.Split(',')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;
    }

    /// <summary>Deletes this run's files (those named above, never others kept beside them), config.json last.</summary>
    public void DeleteRun()
    {
        foreach (var file in new[] { CardFile, EvaluationFile, ResumeFile, ModelFile, MetricsFile, ConfigFile })
            if (System.IO.File.Exists(file)) System.IO.File.Delete(file);
    }

    public void EnsureWritable() => OutputPath.RequireFolder(Path, "the run folder");

    /// <summary>The settings a resumed run must share with the run it continues: everything that changes a bit of it.</summary>
    public static string TrainingSettings(SequenceTrainRequest request)
    {
        var o = request.Options;
        var json = new JsonObject
        {
            ["task"] = request.Task.Name,
            ["enrichment"] = SequenceTrainArguments.EnrichmentName(request.Task.Enrichment),
            ["model"] = JsonNode.Parse(request.Config.ToJson()),
            ["steps"] = o.Steps,
            ["batch"] = o.BatchSize,
            ["lr"] = o.LearningRate,
            ["weight_decay"] = o.WeightDecay,
            ["beta1"] = o.Beta1,
            ["beta2"] = o.Beta2,
            ["eps"] = o.Epsilon,
            ["seed"] = o.Seed,
            ["threads"] = request.Threads,
        };
        // Written only for the engine: a TorchSharp run's config.json keeps the bytes it had before the engine trained
        // sequence models, and a folder without the field was trained on TorchSharp.
        if (request.Backend != SequenceTrainingBackends.Default) json["backend"] = request.Backend;
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public void WriteSettings(SequenceTrainRequest request) => AtomicFile.WriteText(ConfigFile, TrainingSettings(request));

    public string ReadSettings() => System.IO.File.ReadAllText(ConfigFile);

    /// <summary>The backend config.json names; TorchSharp where it names none.</summary>
    public string ReadBackend()
    {
        try
        {
            return (string?)JsonNode.Parse(ReadSettings())?["backend"] ?? SequenceTrainingBackends.Default;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return SequenceTrainingBackends.Default;
        }
    }

    /// <summary>"step,lr,loss,answer_acc,A6,...,A0": the step's batch before its update, each slot's accuracy under its name.</summary>
    public static string MetricsHeader(ISequenceTask task) =>
        "step,lr,loss,answer_acc," + string.Join(',', task.Slots.Select(s => s.Name));

    public static string MetricsLine(SequenceTrainingProgress p) =>
        string.Join(',', new[] { p.Step.ToString(CultureInfo.InvariantCulture), R(p.LearningRate), R(p.Score.Loss), R(p.Score.AnswerAccuracy) }
            .Concat(p.Score.SlotAccuracy.Select(R)));

    public void StartMetrics(ISequenceTask task) => AtomicFile.WriteText(MetricsFile, MetricsHeader(task) + "\n");

    /// <summary>Keeps the rows before <paramref name="step"/>: a resumed run logs the later ones again, as the uninterrupted run did.</summary>
    public void KeepMetricsBefore(long step, ISequenceTask task)
    {
        var lines = System.IO.File.Exists(MetricsFile) ? System.IO.File.ReadAllLines(MetricsFile) : [];
        var kept = lines.Skip(1).Where(l => long.TryParse(l.Split(',')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s < step);
        AtomicFile.WriteText(MetricsFile, MetricsHeader(task) + "\n" + string.Concat(kept.Select(l => l + "\n")));
    }

    public void AppendMetrics(SequenceTrainingProgress p) => System.IO.File.AppendAllText(MetricsFile, MetricsLine(p) + "\n");

    /// <summary>The rows of metrics.csv as text, header first (empty when absent).</summary>
    public IReadOnlyList<string[]> ReadMetricRows() =>
        System.IO.File.Exists(MetricsFile) ? System.IO.File.ReadLines(MetricsFile).Skip(1).Select(l => l.Split(',')).ToList() : [];

    /// <summary>The weights alone (what a model folder ships); the moments go to <see cref="ResumeFile"/> while a run is unfinished.</summary>
    public void WriteModel(ISequenceRunTrainer trainer, long seed) =>
        SequenceCheckpoint.Save(ModelFile, new SequenceCheckpoint.Contents(trainer.Config, seed, trainer.Step, trainer.Weights(), null, null));

    private string File(string name) => System.IO.Path.Combine(Path, name);

    private static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
