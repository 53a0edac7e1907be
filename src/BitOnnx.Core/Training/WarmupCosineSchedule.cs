namespace BitOnnx.Core.Training;

/// <summary>
/// Quirke, Neo and Barez (2024)'s learning-rate schedule: over the first <see cref="WarmupFraction"/> of the steps the
/// rate rises linearly from <see cref="StartFactor"/> · lr to lr (torch's LinearLR), then falls along a cosine to 0
/// at the last step (CosineAnnealingLR with eta_min 0), the two joined as torch's SequentialLR joins them.
/// </summary>
public sealed record WarmupCosineSchedule(double LearningRate, long TotalSteps)
{
    public double StartFactor { get; init; } = 0.01;
    public double WarmupFraction { get; init; } = 0.2;

    public long WarmupSteps => (long)(TotalSteps * WarmupFraction);

    /// <summary>The rate step <paramref name="step"/> (from 0) uses.</summary>
    public double LearningRateAt(long step)
    {
        long warmup = WarmupSteps;
        if (step < warmup)
            return LearningRate * (StartFactor + (1 - StartFactor) * step / warmup);
        long cosineSteps = Math.Max(1, TotalSteps - warmup);
        double t = Math.Min(step - warmup, cosineSteps);
        return LearningRate * 0.5 * (1 + Math.Cos(Math.PI * t / cosineSteps));
    }
}
