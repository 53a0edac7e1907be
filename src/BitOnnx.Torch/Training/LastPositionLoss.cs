using BitOnnx.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Training;

/// <summary>Mean cross-entropy of last-position logits with the log-softmax in float64, as both papers (and the engine).</summary>
public static class LastPositionLoss
{
    /// <summary>logits [B, P] float32, targets [B] int64 → a float64 scalar whose gradient reaches the float32 logits.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        return scope.MoveToOuter(-logits.to(ScalarType.Float64).log_softmax(1).gather(1, targets.unsqueeze(1)).mean());
    }

    /// <summary>Loss and accuracy (argmax equals target) as numbers.</summary>
    public static Evaluation Measure(Tensor logits, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        var loss = CrossEntropy(logits, targets).item<double>();
        var hits = logits.argmax(1).eq(targets).sum().item<long>();
        return new Evaluation(loss, (double)hits / targets.shape[0]);
    }
}
