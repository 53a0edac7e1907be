namespace BitOnnx.Core.Training;

/// <summary>Hyper-parameters of AdamW (Loshchilov and Hutter 2019) with an optional linear warm-up of the learning rate.</summary>
public sealed record AdamWSettings
{
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Decoupled weight decay λ: each step multiplies weights by (1 − lr·λ) before the Adam update.</summary>
    public double WeightDecay { get; init; } = 1.0;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.98;
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>Steps of linear warm-up: step s (from 0) uses lr·min(s / warmup, 1), as Nanda et al.'s LambdaLR does.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>
    /// The recipe's settings for a preset (docs/recipe.md): Nanda et al. warm the learning rate up over 10 steps, Li's
    /// code does not. The one place that default is stated.
    /// </summary>
    public static AdamWSettings Recipe(string preset) =>
        new() { WarmupSteps = preset == Model.TransformerConfig.Nanda2023Name ? 10 : 0 };

    public double LearningRateAt(long step) => WarmupSteps <= 0 ? LearningRate : LearningRate * Math.Min((double)step / WarmupSteps, 1.0);
}
