using BitOnnx.Core;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

namespace BitOnnx.ML;

/// <summary>
/// What <see cref="ModularAdditionTrainer"/> trains: docs/recipe.md's recipe by default (li2024 preset, P = 113, AdamW
/// 1e-3, λ = 1, 10,000 full-batch epochs). The train split is the rows Fit is given; the test split is every other pair.
/// </summary>
public sealed record ModularAdditionTrainerOptions
{
    public string Preset { get; init; } = TransformerConfig.Li2024Name;
    public WeightQuantization Quantization { get; init; } = WeightQuantization.None;
    public BinaryScale BinaryScale { get; init; } = BinaryScale.None;
    public int P { get; init; } = 113;
    /// <summary>Width overrides; null keeps the preset's (d_head follows d_model / n_heads).</summary>
    public int? DModel { get; init; }
    public int? NHeads { get; init; }
    public int? DMlp { get; init; }
    public int? NLayers { get; init; }
    public int Epochs { get; init; } = 10_000;
    /// <summary>Seeds the initial weights.</summary>
    public long Seed { get; init; }
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1.0;
    /// <summary>null: 10 steps for nanda2023, none for li2024.</summary>
    public int? WarmupSteps { get; init; }
    public int LogEvery { get; init; } = 100;
    public int CheckpointEvery { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>The training backend by name: "engine" (the managed SIMD engine).</summary>
    public string Backend { get; init; } = EngineBackend.Instance.Name;
    /// <summary>The label column: Int32, (A + B) mod P.</summary>
    public string LabelColumnName { get; init; } = ModularAdditionColumns.Label;
    /// <summary>Run folder for the checkpoint and metrics; null trains into a temporary folder that Fit deletes.</summary>
    public string? OutputFolder { get; init; }
    /// <summary>Told after every epoch.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>Stops training at the end of an epoch; Fit then throws OperationCanceledException.</summary>
    public CancellationToken Cancellation { get; init; }

    public static IReadOnlyList<ITrainingBackend> Backends { get; } = [EngineBackend.Instance];

    public TransformerConfig ToConfig()
    {
        var c = TransformerConfig.FromPreset(Preset) with { Quantization = Quantization, BinaryScale = BinaryScale, P = P };
        c = c with { DModel = DModel ?? c.DModel, NHeads = NHeads ?? c.NHeads, DMlp = DMlp ?? c.DMlp, NLayers = NLayers ?? c.NLayers };
        return (DModel is null && NHeads is null ? c : c.WithHeadsSplittingModel()).Validated();
    }

    /// <summary>The loop's options; <paramref name="trainFraction"/> is that of the rows Fit was given.</summary>
    public TrainingOptions ToTrainingOptions(double trainFraction) => new TrainingOptions
    {
        Epochs = Epochs,
        Seed = Seed,
        TrainFraction = trainFraction,
        LogEvery = LogEvery,
        CheckpointEvery = CheckpointEvery,
        Threads = Threads,
        Optimizer = new AdamWSettings
        {
            LearningRate = LearningRate,
            WeightDecay = WeightDecay,
            WarmupSteps = WarmupSteps ?? AdamWSettings.Recipe(Preset).WarmupSteps,
        },
    }.Validated();

    public ITrainingBackend ToBackend() =>
        Backends.FirstOrDefault(b => string.Equals(b.Name, Backend, StringComparison.OrdinalIgnoreCase))
        ?? throw new BitOnnxException($"Unknown backend '{Backend}'. Available: {string.Join(", ", Backends.Select(b => b.Name))}.");
}
