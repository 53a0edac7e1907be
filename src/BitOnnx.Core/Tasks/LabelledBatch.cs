namespace BitOnnx.Core.Tasks;

/// <summary>
/// Sequences with their targets: <see cref="Tokens"/> [Count, ContextLength] and <see cref="Targets"/> [Count,
/// SlotCount], row-major, slot s of row i being the target of the task's s-th <see cref="PredictionSlot"/>.
/// </summary>
public sealed class LabelledBatch
{
    public LabelledBatch(int count, int contextLength, int slotCount, int[] tokens, int[] targets)
    {
        if (tokens.Length != count * contextLength)
            throw new ArgumentException($"tokens has {tokens.Length} entries, not {count} x {contextLength}.", nameof(tokens));
        if (targets.Length != count * slotCount)
            throw new ArgumentException($"targets has {targets.Length} entries, not {count} x {slotCount}.", nameof(targets));
        Count = count;
        ContextLength = contextLength;
        SlotCount = slotCount;
        Tokens = tokens;
        Targets = targets;
    }

    public int Count { get; }
    public int ContextLength { get; }
    public int SlotCount { get; }
    public int[] Tokens { get; }
    public int[] Targets { get; }

    public ReadOnlySpan<int> Sequence(int row) => Tokens.AsSpan(row * ContextLength, ContextLength);

    public ReadOnlySpan<int> TargetsOf(int row) => Targets.AsSpan(row * SlotCount, SlotCount);

    /// <summary>
    /// A batch of complete sequences whose targets are their own tokens at the slots' target positions (teacher
    /// forcing); every slot must name a target position.
    /// </summary>
    public static LabelledBatch FromSequences(ISequenceTask task, int[] tokens)
    {
        int n = task.ContextLength, slots = task.Slots.Count;
        if (tokens.Length % n != 0) throw new ArgumentException($"{tokens.Length} tokens are not whole sequences of {n}.", nameof(tokens));
        int count = tokens.Length / n;
        var targets = new int[count * slots];
        for (int s = 0; s < slots; s++)
        {
            int at = task.Slots[s].TargetPosition
                ?? throw new ArgumentException($"Slot {task.Slots[s].Name} predicts a label outside the sequence.", nameof(task));
            for (int i = 0; i < count; i++) targets[i * slots + s] = tokens[i * n + at];
        }
        return new LabelledBatch(count, n, slots, tokens, targets);
    }
}
