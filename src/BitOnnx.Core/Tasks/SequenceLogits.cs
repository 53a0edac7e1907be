namespace BitOnnx.Core.Tasks;

/// <summary>
/// A model as greedy decoding and evaluation see it: tokens [rows, length] (row-major, length ≤ n_ctx) → logits
/// [rows, length, d_vocab_out], causal, so that the logits at a position depend on the tokens up to it alone.
/// </summary>
public delegate float[] SequenceLogits(int[] tokens, int rows, int length);
