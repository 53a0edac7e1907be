using BitOnnx.Engine.Training;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Training;

namespace BitOnnx.Pipeline.ModularAddition;

/// <summary>The trainer (ML.NET's IEstimator role): <see cref="Fit"/> trains a model and returns its transformer.</summary>
public sealed class ModularAdditionEstimator(ModularAdditionTrainerOptions options)
{
    public ModularAdditionTrainerOptions Options { get; } = options;

    public ModularAdditionTransformer Fit(IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        var config = Options.ToConfig();
        var folder = Options.OutputFolder ?? Path.Combine(Path.GetTempPath(), "bitonnx-fit", Guid.NewGuid().ToString("N"));
        var run = new RunFolder(folder);
        new Trainer(config, Options.ToTrainingOptions(), run, EngineBackend.Instance).Run(progress: progress, cancel: cancel);
        var checkpoint = ModelCheckpoint.Load(run.ModelFile);
        if (Options.OutputFolder is null) Directory.Delete(folder, recursive: true);
        return new ModularAdditionTransformer(new EngineScorer(config, checkpoint.Parameters, Options.Threads), checkpoint);
    }
}
