using BitOnnx.Core.Model;

namespace BitOnnx.Core.Training;

/// <summary>
/// AdamW's state in torch.optim.AdamW's terms: steps taken, exp_avg and exp_avg_sq, each moment in the layout of the
/// parameters it belongs to.
/// </summary>
public sealed record OptimizerState(long Step, ParameterSet FirstMoment, ParameterSet SecondMoment)
{
    /// <summary>
    /// Grokfast's running average of the gradient (the official code's <c>grads</c>), in the parameters' layout; null
    /// when Grokfast is off or has not taken a step yet (its first step starts the average from that step's gradient).
    /// </summary>
    public ParameterSet? GradientAverage { get; init; }

    public static OptimizerState Fresh(ParameterSet parameters) => new(0, parameters.ZerosLike(), parameters.ZerosLike());
}
