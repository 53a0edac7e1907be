using BitOnnx.Core.Model;

namespace BitOnnx.Core.Training;

/// <summary>How a run trains: docs/recipe.md's recipe by default (AdamW 1e-3, λ = 1, betas 0.9/0.98, full batch, 30% train).</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 10_000;
    public long Seed { get; init; }
    public double TrainFraction { get; init; } = 0.3;
    public AdamWSettings Optimizer { get; init; } = new();
    /// <summary>Log train/test loss and test accuracy every this many epochs (1 = every epoch, as the papers did).</summary>
    public int LogEvery { get; init; } = 100;
    /// <summary>Keep a checkpoint every this many epochs under checkpoints/ (0 = none); progress measures read the series.</summary>
    public int CheckpointEvery { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>
    /// Stop once a logged test accuracy is at least this (null = train every epoch). Only logged epochs are tested,
    /// so a smaller <see cref="LogEvery"/> stops closer to the first epoch that reaches it.
    /// </summary>
    public double? StopAtAccuracy { get; init; }
    /// <summary>Grokfast's gradient filter before each AdamW step (null = off, the recipe).</summary>
    public GrokfastSettings? Grokfast { get; init; }
    /// <summary>Brain-inspired modular training: the locality cost and neuron swaps (null = off, the recipe).</summary>
    public BimtSettings? Bimt { get; init; }

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Epochs <= 0) problems.Add($"epochs must be positive (got {Epochs}).");
        if (!(TrainFraction > 0 && TrainFraction < 1)) problems.Add($"train fraction must be strictly between 0 and 1 (got {TrainFraction}).");
        if (LogEvery <= 0) problems.Add($"log-every must be positive (got {LogEvery}).");
        if (CheckpointEvery < 0) problems.Add($"checkpoint-every must be 0 (none) or positive (got {CheckpointEvery}).");
        if (Threads <= 0) problems.Add($"threads must be positive (got {Threads}).");
        if (StopAtAccuracy is { } stop && !(stop > 0 && stop <= 1)) problems.Add($"stop-at-acc must be in (0, 1], a fraction such as 0.99 (got {stop}).");
        if (Grokfast is not null) problems.AddRange(Grokfast.Problems());
        if (Bimt is not null) problems.AddRange(Bimt.Problems());
        var o = Optimizer;
        if (!(o.LearningRate > 0) || double.IsInfinity(o.LearningRate)) problems.Add($"learning rate must be positive and finite (got {o.LearningRate}).");
        if (!(o.WeightDecay >= 0) || double.IsInfinity(o.WeightDecay)) problems.Add($"weight decay must be non-negative and finite (got {o.WeightDecay}).");
        if (!(o.Beta1 is >= 0 and < 1) || !(o.Beta2 is >= 0 and < 1)) problems.Add($"betas must be in [0, 1) (got {o.Beta1}, {o.Beta2}).");
        if (!(o.Epsilon > 0)) problems.Add($"epsilon must be positive (got {o.Epsilon}).");
        if (o.WarmupSteps < 0) problems.Add($"warm-up steps must be non-negative (got {o.WarmupSteps}).");
        return problems;
    }

    public TrainingOptions Validated()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ConfigException("Invalid training options: " + string.Join(" ", problems));
        return this;
    }
}
