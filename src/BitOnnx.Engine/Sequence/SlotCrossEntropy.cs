using BitOnnx.Core.Tasks;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// The loss of a task's prediction slots, as TorchSharp's SlotLoss: mean over rows and slots of −log softmax(logits at
/// the slot's position)[target], in double. Its gradient at the logits of a slot is (softmax − onehot(target)) / (rows ·
/// slots), zero at every position no slot reads.
/// </summary>
internal static class SlotCrossEntropy
{
    /// <summary>logits [rows, length, vocab] → the loss; writes the gradient into <paramref name="dLogits"/> (same shape).</summary>
    public static double Run(ReadOnlySpan<float> logits, int rows, int length, int vocab, IReadOnlyList<PredictionSlot> slots,
        ReadOnlySpan<int> targets, Span<float> dLogits)
    {
        dLogits.Clear();
        int count = rows * slots.Count;
        Span<double> probabilities = vocab <= 256 ? stackalloc double[vocab] : new double[vocab];
        double total = 0;
        for (var r = 0; r < rows; r++)
            for (var slot = 0; slot < slots.Count; slot++)
            {
                int at = (r * length + slots[slot].Position) * vocab, target = targets[r * slots.Count + slot];
                var row = logits.Slice(at, vocab);
                double max = double.NegativeInfinity, sum = 0;
                foreach (var v in row) max = Math.Max(max, v);
                for (var u = 0; u < vocab; u++) sum += probabilities[u] = Math.Exp(row[u] - max);
                total -= row[target] - max - Math.Log(sum);
                var gradient = dLogits.Slice(at, vocab);
                for (var u = 0; u < vocab; u++)
                    gradient[u] += (float)((probabilities[u] / sum - (u == target ? 1 : 0)) / count);
            }
        return total / count;
    }
}
