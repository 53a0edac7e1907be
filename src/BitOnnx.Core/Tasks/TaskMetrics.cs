using BitOnnx.Core.Data;

namespace BitOnnx.Core.Tasks;

/// <summary>
/// Mean cross-entropy over every slot of every row, the share of rows whose every slot is right (per answer), and the
/// share right at each slot (per position).
/// </summary>
public sealed record TaskScore(double Loss, double AnswerAccuracy, IReadOnlyList<double> SlotAccuracy);

/// <summary>
/// Scores slot logits [rows, slots, d_vocab_out] against a <see cref="LabelledBatch"/>, as plain scalar loops in
/// double (the row loss is <see cref="ModularAdditionLoss.RowLoss(ReadOnlySpan{float}, int)"/>, so a one-slot task
/// scores as modular addition always has). A slot is right when its largest logit, the first of equals, is the target.
/// </summary>
public static class TaskMetrics
{
    public static TaskScore Score(ReadOnlySpan<float> slotLogits, LabelledBatch batch, int vocabOut)
    {
        int rows = batch.Count, slots = batch.SlotCount;
        if (slotLogits.Length != rows * slots * vocabOut)
            throw new ArgumentException($"slot logits have {slotLogits.Length} entries, not {rows} x {slots} x {vocabOut}.", nameof(slotLogits));
        if (rows == 0) return new TaskScore(double.NaN, double.NaN, Enumerable.Repeat(double.NaN, slots).ToArray());
        double loss = 0;
        int answersRight = 0;
        var slotRight = new int[slots];
        for (int i = 0; i < rows; i++)
        {
            bool all = true;
            var targets = batch.TargetsOf(i);
            for (int s = 0; s < slots; s++)
            {
                var row = slotLogits.Slice((i * slots + s) * vocabOut, vocabOut);
                loss += ModularAdditionLoss.RowLoss(row, targets[s]);
                if (ArgMax(row) == targets[s]) slotRight[s]++;
                else all = false;
            }
            if (all) answersRight++;
        }
        return new TaskScore(loss / ((double)rows * slots), (double)answersRight / rows,
            Array.ConvertAll(slotRight, c => (double)c / rows));
    }

    /// <summary>The slot logits [rows, slots, d_vocab_out] of full-sequence logits [rows, n_ctx, d_vocab_out].</summary>
    public static float[] GatherSlots(ReadOnlySpan<float> logits, ISequenceTask task, int rows)
    {
        int n = task.ContextLength, v = task.OutputVocabularySize, slots = task.Slots.Count;
        if (logits.Length != rows * n * v)
            throw new ArgumentException($"logits have {logits.Length} entries, not {rows} x {n} x {v}.", nameof(logits));
        var gathered = new float[rows * slots * v];
        for (int i = 0; i < rows; i++)
            for (int s = 0; s < slots; s++)
                logits.Slice((i * n + task.Slots[s].Position) * v, v).CopyTo(gathered.AsSpan((i * slots + s) * v, v));
        return gathered;
    }

    /// <summary>Index of the largest entry, the first of equals.</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int arg = 0;
        for (int c = 1; c < row.Length; c++) if (row[c] > row[arg]) arg = c;
        return arg;
    }
}
