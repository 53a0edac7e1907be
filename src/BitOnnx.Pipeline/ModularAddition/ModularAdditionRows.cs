using BitOnnx.Core;
namespace BitOnnx.Pipeline.ModularAddition;

/// <summary>One input row: the two addends.</summary>
public sealed record ModularAdditionInput(int A, int B);

/// <summary>One output row: the addends, the predicted (A + B) mod P, and the P scores (logits) it was read from.</summary>
public sealed record ModularAdditionPrediction(int A, int B, int PredictedSum, float[] Scores);

/// <summary>A row that cannot be scored; the message names the row and what is wrong with it.</summary>
public sealed class InvalidRowException(string message) : BitOnnxException(message);

internal static class RowChecks
{
    /// <summary>Tokens [rows, 3] = [a, b, =] for a model of modulus <paramref name="p"/>, checking every row first.</summary>
    public static long[] Tokens(IReadOnlyList<ModularAdditionInput> rows, int p)
    {
        var tokens = new long[rows.Count * 3];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i] ?? throw new InvalidRowException($"Row {i} is null.");
            if ((uint)row.A >= (uint)p) throw new InvalidRowException($"Row {i}: A = {row.A} is outside 0..{p - 1} for this model (P = {p}).");
            if ((uint)row.B >= (uint)p) throw new InvalidRowException($"Row {i}: B = {row.B} is outside 0..{p - 1} for this model (P = {p}).");
            tokens[i * 3] = row.A;
            tokens[i * 3 + 1] = row.B;
            tokens[i * 3 + 2] = p;
        }
        return tokens;
    }
}
