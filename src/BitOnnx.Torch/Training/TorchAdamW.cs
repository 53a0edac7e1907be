using BitOnnx.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter 2019) on TorchSharp parameters, with torch.optim.AdamW's operations in its order.
/// TorchSharp's own AdamW passes its coefficients as implicit Scalars that a collection on another thread can free
/// during the native call (see <see cref="ScalarArithmetic"/>); here every Scalar is disposed after the call that reads it.
/// </summary>
public sealed class TorchAdamW : IDisposable
{
    private readonly AdamWSettings _settings;
    private readonly IReadOnlyList<Tensor> _parameters;

    public TorchAdamW(IReadOnlyList<Tensor> parameters, AdamWSettings settings)
    {
        _parameters = parameters;
        _settings = settings;
        using var noGrad = torch.no_grad();
        FirstMoments = parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
        SecondMoments = parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>m per parameter, in the parameters' order.</summary>
    public IReadOnlyList<Tensor> FirstMoments { get; }

    /// <summary>v per parameter, in the parameters' order.</summary>
    public IReadOnlyList<Tensor> SecondMoments { get; }

    /// <summary>Steps taken so far; step s (from 0) uses the settings' learning rate at s.</summary>
    public long Step { get; set; }

    /// <summary>One update from the parameters' gradients (a parameter without one is left as it is).</summary>
    public void Update() => Update(_settings.LearningRateAt(Step));

    /// <summary>One update at <paramref name="lr"/>, for a schedule the settings do not describe (warm-up then cosine).</summary>
    public void Update(double lr)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var s = _settings;
        Step++;
        var correction1 = 1 - Math.Pow(s.Beta1, Step);
        var correction2 = 1 - Math.Pow(s.Beta2, Step);
        using Scalar decay = (1 - lr * s.WeightDecay).ToScalar(), beta1 = s.Beta1.ToScalar(), beta2 = s.Beta2.ToScalar(),
            gradientShare = (1 - s.Beta1).ToScalar(), squareShare = (1 - s.Beta2).ToScalar(),
            rootCorrection2 = Math.Sqrt(correction2).ToScalar(), epsilon = s.Epsilon.ToScalar(),
            negativeStep = (-lr / correction1).ToScalar(), one = 1.ToScalar();
        for (var i = 0; i < _parameters.Count; i++)
        {
            var parameter = _parameters[i];
            if (parameter.grad is not { } grad) continue;
            parameter.mul_(decay);
            FirstMoments[i].mul_(beta1).add_(grad, gradientShare);
            SecondMoments[i].mul_(beta2).addcmul_(grad, grad, squareShare);
            var denominator = SecondMoments[i].sqrt().div_(rootCorrection2).add_(epsilon, one);
            parameter.addcdiv_(FirstMoments[i], denominator, negativeStep);
        }
    }

    /// <summary>Clears every parameter's gradient before the next backward pass.</summary>
    public void ZeroGradients()
    {
        foreach (var parameter in _parameters)
            if (parameter.grad is { } grad)
            {
                using (grad) grad.zero_();
            }
    }

    public void Dispose()
    {
        foreach (var moment in FirstMoments.Concat(SecondMoments)) moment.Dispose();
    }
}
