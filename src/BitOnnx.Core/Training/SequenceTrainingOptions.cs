using BitOnnx.Core.Tasks;

namespace BitOnnx.Core.Training;

/// <summary>
/// How a sequence model trains: Quirke, Neo and Barez (2024)'s AdamW (lr 8e-5, weight decay 0.1, betas (0.9, 0.98),
/// batch 64) under <see cref="WarmupCosineSchedule"/>, a fresh batch every step. Small models learn faster at a larger
/// learning rate; the 3-digit test raises it and says so. Both backends train from these options (TorchSharp's SequenceTrainer,
/// the engine's EngineSequenceTrainer), so a run can be given to either.
/// </summary>
public sealed record SequenceTrainingOptions
{
    public long Steps { get; init; } = 15_000;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 8e-5;
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.98;
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>Seeds the initial weights and every batch (the batch of step s is the task's Batch(seed, s, size)).</summary>
    public long Seed { get; init; }
    /// <summary>The observer hears the score of every this-many-th step's batch, and of the last.</summary>
    public int MetricsEvery { get; init; } = 100;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Steps < 1) problems.Add($"steps must be at least 1 (got {Steps}).");
        if (BatchSize < 1) problems.Add($"the batch size must be at least 1 (got {BatchSize}).");
        if (!(LearningRate > 0)) problems.Add($"the learning rate must be positive (got {LearningRate}).");
        if (!(WeightDecay >= 0)) problems.Add($"the weight decay must be zero or more (got {WeightDecay}).");
        if (MetricsEvery < 1) problems.Add($"metrics_every must be at least 1 (got {MetricsEvery}).");
        return problems;
    }

    public WarmupCosineSchedule Schedule => new(LearningRate, Steps);

    public AdamWSettings AdamW => new() { LearningRate = LearningRate, WeightDecay = WeightDecay, Beta1 = Beta1, Beta2 = Beta2, Epsilon = Epsilon };
}

/// <summary>One scored step: the learning rate it used and the score of its batch before its update.</summary>
public sealed record SequenceTrainingProgress(long Step, double LearningRate, TaskScore Score);
