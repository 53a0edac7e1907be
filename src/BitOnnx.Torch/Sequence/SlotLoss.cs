using BitOnnx.Core.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Sequence;

/// <summary>
/// The loss of a task's prediction slots: mean cross-entropy over every slot of every row, in float64, where slot s
/// reads the logits at its Position and is scored against its target (for arithmetic: each answer token predicted from
/// the token before it). The same quantity as <see cref="TaskMetrics.Score"/>'s loss.
/// </summary>
public sealed class SlotLoss : IDisposable
{
    private readonly Tensor _positions;

    public SlotLoss(ISequenceTask task)
    {
        _positions = torch.tensor(task.Slots.Select(s => (long)s.Position).ToArray()).DetachFromDisposeScope();
        SlotCount = task.Slots.Count;
    }

    public int SlotCount { get; }

    /// <summary>logits [B, T, V] and targets [B, slots] (int64) → the scalar loss.</summary>
    public Tensor Loss(Tensor logits, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        var logProbabilities = logits.index_select(1, _positions).to(ScalarType.Float64).log_softmax(-1);
        var picked = logProbabilities.gather(-1, targets.unsqueeze(-1));
        return scope.MoveToOuter(picked.mean().neg());
    }

    /// <summary>A batch's targets as the int64 tensor [rows, slots] <see cref="Loss"/> reads.</summary>
    public static Tensor Targets(LabelledBatch batch) =>
        torch.tensor(Array.ConvertAll(batch.Targets, t => (long)t), [batch.Count, batch.SlotCount]);

    /// <summary>A batch's tokens as the int64 tensor [rows, n_ctx] the model reads.</summary>
    public static Tensor Tokens(LabelledBatch batch) =>
        torch.tensor(Array.ConvertAll(batch.Tokens, t => (long)t), [batch.Count, batch.ContextLength]);

    public void Dispose() => _positions.Dispose();
}
