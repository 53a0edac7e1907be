using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Pipeline.ModularAddition;

/// <summary>Trainer options, docs/recipe.md's recipe by default (li2024 preset, P = 113, 10,000 epochs).</summary>
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
    public long Seed { get; init; }
    public double TrainFraction { get; init; } = 0.3;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1.0;
    /// <summary>null: 10 steps for nanda2023, none for li2024.</summary>
    public int? WarmupSteps { get; init; }
    public int LogEvery { get; init; } = 100;
    public int CheckpointEvery { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Run folder for the checkpoint and metrics; null trains into a temporary folder.</summary>
    public string? OutputFolder { get; init; }

    public TransformerConfig ToConfig()
    {
        var c = TransformerConfig.FromPreset(Preset) with { Quantization = Quantization, BinaryScale = BinaryScale, P = P };
        c = c with { DModel = DModel ?? c.DModel, NHeads = NHeads ?? c.NHeads, DMlp = DMlp ?? c.DMlp, NLayers = NLayers ?? c.NLayers };
        return (DModel is null && NHeads is null ? c : c.WithHeadsSplittingModel()).Validated();
    }

    public TrainingOptions ToTrainingOptions() => new TrainingOptions
    {
        Epochs = Epochs,
        Seed = Seed,
        TrainFraction = TrainFraction,
        LogEvery = LogEvery,
        CheckpointEvery = CheckpointEvery,
        Threads = Threads,
        Optimizer = new AdamWSettings
        {
            LearningRate = LearningRate,
            WeightDecay = WeightDecay,
            WarmupSteps = WarmupSteps ?? (Preset == TransformerConfig.Nanda2023Name ? 10 : 0),
        },
    }.Validated();
}
