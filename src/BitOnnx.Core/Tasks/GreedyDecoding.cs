namespace BitOnnx.Core.Tasks;

/// <summary>
/// Greedy decoding: from prompts of <c>promptLength</c> tokens, the model's most likely next token (the first of
/// equal logits, as <see cref="TaskMetrics.ArgMax"/>) is appended, one position at a time, until the sequences are
/// <c>length</c> long. Each step feeds the sequences as far as they are written; a causal model needs no more.
/// </summary>
public static class GreedyDecoding
{
    /// <summary>prompts [rows, promptLength] → the completed sequences [rows, length], row-major.</summary>
    public static int[] Complete(SequenceLogits model, ReadOnlySpan<int> prompts, int rows, int promptLength, int length, int vocabOut)
    {
        if (promptLength < 1 || promptLength > length) throw new ArgumentOutOfRangeException(nameof(promptLength), $"A prompt has 1 to {length} tokens.");
        if (prompts.Length != rows * promptLength) throw new ArgumentException($"prompts have {prompts.Length} tokens, not {rows} x {promptLength}.", nameof(prompts));
        var sequences = new int[rows * length];
        for (int i = 0; i < rows; i++) prompts.Slice(i * promptLength, promptLength).CopyTo(sequences.AsSpan(i * length));
        for (int written = promptLength; written < length; written++)
        {
            var input = new int[rows * written];
            for (int i = 0; i < rows; i++) sequences.AsSpan(i * length, written).CopyTo(input.AsSpan(i * written));
            var logits = model(input, rows, written);
            if (logits.Length != rows * written * vocabOut)
                throw new InvalidOperationException($"The model gave {logits.Length} logits for {rows} x {written} tokens, not {rows * written * vocabOut}.");
            for (int i = 0; i < rows; i++)
                sequences[i * length + written] = TaskMetrics.ArgMax(logits.AsSpan(((i * written) + written - 1) * vocabOut, vocabOut));
        }
        return sequences;
    }
}
