using BitOnnx.Analysis;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using AnalysisRun = BitOnnx.Analysis.Runs.TrainingRun;

namespace BitOnnx.Analysis.Progress;

/// <summary>
/// Nanda et al.'s progress measures over a run's checkpoint series, read through ONNX like the final model: each
/// <c>RUN/checkpoints/epoch-*.safetensors</c> is exported in memory (float weights, the probes the measures need), run
/// over all P² pairs under ONNX Runtime, measured, and let go before the next, so memory stays that of one checkpoint.
/// Σw² is taken over the checkpoint's latent weights (what weight decay shrinks; a binary model's folded weights are ±1).
/// </summary>
public static class CheckpointSeries
{
    /// <summary>Stage name in <see cref="AnalysisProgress"/> reports.</summary>
    public const string ProgressStage = "checkpoints";

    /// <summary>
    /// The progress series of <paramref name="run"/>, or null when it has no checkpoints. <paramref name="keyFrequencies"/>
    /// are those of the final model (the restricted and excluded losses show when its circuit forms).
    /// </summary>
    public static ProgressSeries? Measure(AnalysisRun run, IReadOnlyList<int> keyFrequencies, ModelSessionOptions? session = null,
        IProgress<AnalysisProgress>? progress = null)
    {
        if (run.Checkpoints.Count == 0) return null;
        var parts = new List<ProgressSeries>(run.Checkpoints.Count);
        IReadOnlyList<int>? trainRows = run.Split?.Train;
        progress?.Report(new AnalysisProgress(ProgressStage, 0));
        for (int i = 0; i < run.Checkpoints.Count; i++)
        {
            var file = run.Checkpoints[i];
            var loaded = ModelCheckpoint.Load(file.Path);
            if (loaded.Config.P != run.Config.P)
            {
                throw new AnalysisInputException(
                    $"P mismatch: checkpoint '{file.Path}' has P = {loaded.Config.P} but run folder '{run.Path}' says p = {run.Config.P} (config.json).");
            }
            trainRows ??= loaded.Facts.TrainRows.Count > 0
                ? loaded.Facts.TrainRows
                : throw new AnalysisInputException($"Run folder '{run.Path}' has no split.json and checkpoint '{file.Path}' records no train split.");
            parts.Add(ProgressMeasures.Compute([Probe(loaded, file.Epoch, session)], trainRows, keyFrequencies));
            progress?.Report(new AnalysisProgress(ProgressStage, (i + 1.0) / run.Checkpoints.Count));
        }
        return Concatenate(parts, keyFrequencies);
    }

    /// <summary>One checkpoint exported in memory and probed over all P² pairs.</summary>
    public static CheckpointInputs Probe(ModelCheckpoint.Loaded checkpoint, int epoch, ModelSessionOptions? session = null)
    {
        var probes = ProgressMeasures.RequiredProbes.Where(n => n != HookNames.Logits).ToArray();
        var export = TransformerExporter.Export(checkpoint, new ExportOptions { Weights = WeightFormat.Float, Probes = HookSelection.Of(probes) });
        string name = $"checkpoint at epoch {epoch}";
        var source = new OnnxProbeSource(ModularAdditionGraph.Read(export.Model, name), new OnnxProbeOptions { Session = session });
        source.Run();
        var latent = checkpoint.Config.Quantization == WeightQuantization.None ? null : LatentWeights(checkpoint.Parameters);
        return new CheckpointInputs(epoch, source, new OnnxWeightSource(export.Model), latent);
    }

    /// <summary>Every parameter of the checkpoint as trained, before quantization.</summary>
    public static InMemoryWeightSource LatentWeights(ParameterSet parameters)
    {
        var source = new InMemoryWeightSource();
        foreach (var e in parameters.Entries)
            source.Add(e.Name, parameters.Slice(e).ToArray(), e.Shape.ToArray());
        return source;
    }

    private static ProgressSeries Concatenate(IReadOnlyList<ProgressSeries> parts, IReadOnlyList<int> keyFrequencies)
    {
        T[] Join<T>(Func<ProgressSeries, T[]> pick) => parts.SelectMany(pick).ToArray();
        return new ProgressSeries(keyFrequencies.ToArray(), Join(s => s.Epochs), Join(s => s.TrainLoss), Join(s => s.TestLoss),
            Join(s => s.RestrictedLoss), Join(s => s.ExcludedLoss), Join(s => s.GiniEmbedding), Join(s => s.GiniNeuronLogit),
            Join(s => s.SumSquaredWeights));
    }
}
