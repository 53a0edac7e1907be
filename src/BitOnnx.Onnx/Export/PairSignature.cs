using BitOnnx.Onnx.Contract;

namespace BitOnnx.Onnx.Export;

/// <summary>
/// The <see cref="GraphSignature.Pair"/> ends of a graph: A and B [batch, 1] in, range-checked and assembled into the
/// tokens [batch, 3] = [a, b, =]; Score, PredictedSum and logits out.
/// </summary>
internal static class PairSignature
{
    private const string A = ModelContract.PairA;
    private const string B = ModelContract.PairB;

    /// <summary>The tokens [batch, 3] built from the inputs A and B, each checked against 0..P−1.</summary>
    public static TensorRef Tokens(GraphWriter w, int p)
    {
        var a = Checked(w, w.G.Input(A, TensorElementType.Int64, ["batch", 1]), A, p);
        var b = Checked(w, w.G.Input(B, TensorElementType.Int64, ["batch", 1]), B, p);
        var equals = w.Node("Expand", [w.G.Initializer("pair.equals_token", new long[] { p }, [1, 1]), w.Node("Shape", [a])]);
        return w.Node("Concat", [a, b, equals], "pair.tokens", new NodeAttributes { { "axis", 1L } });
    }

    /// <summary>
    /// x itself, through two guards that make ONNX Runtime fail when a value is outside 0..P−1, with a message that names
    /// the column, its range, the fault and the value: ONNX has no assertion, but a Gather out of bounds fails naming its
    /// node and the index. The values at or above P are picked (Compress) and gathered from a P-element table, so the
    /// message reads "idx=VALUE must be within the inclusive range [−P, P−1]"; the negative ones from an empty table,
    /// which no index is in (a P-element table would take −P..−1). With every value in range both picked sets are empty,
    /// the Gathers yield nothing, and appending nothing leaves x as it was.
    /// </summary>
    private static TensorRef Checked(GraphWriter w, TensorRef x, string column, int p)
    {
        var flat = w.Node("Reshape", [x, w.Shape($"{column}.flat_shape", -1)]);
        TensorRef Guard(string test, TensorRef bound, TensorRef table, string fault)
        {
            var outside = w.Node("Compress", [flat, w.Node(test, [flat, bound])], attributes: new NodeAttributes { { "axis", 0L } });
            var failed = w.Node("Gather", [table, outside], $"column {column} must hold values in 0..{p - 1}: {fault}", new NodeAttributes { { "axis", 0L } });
            return w.Node("Reshape", [failed, w.Shape($"{column}.{test}.column_shape", -1, 1)]);
        }
        var high = Guard("GreaterOrEqual", w.G.Scalar($"{column}.limit", (long)p), w.G.Initializer($"{column}.p_values", new long[p], [p]), $"one is {p} or more");
        var low = Guard("Less", w.G.Scalar($"{column}.min", 0L), w.G.Initializer($"{column}.no_values", Array.Empty<long>(), [0]), "one is negative");
        return w.Node("Concat", [x, high, low], $"{column}.checked", new NodeAttributes { { "axis", 0L } });
    }

    /// <summary>Score = softmax(logits) and PredictedSum = ArgMax(logits) beside the logits themselves.</summary>
    public static void Outputs(GraphWriter w, TensorRef logits, int p)
    {
        var score = w.Node("Softmax", [logits], ModelContract.Score, new NodeAttributes { { "axis", -1L } });
        // [batch], not [batch, 1]: ML.NET reads a symbolic batch as 1, so this becomes Vector<Int64, 1> (not 1 × 1).
        var predicted = w.Node("ArgMax", [logits], ModelContract.PredictedSum, new NodeAttributes { { "axis", 1L }, { "keepdims", 0L } });
        w.G.Output(score, w.Element, ["batch", p]);
        w.G.Output(predicted, TensorElementType.Int64, ["batch"]);
        w.G.Output(logits, w.Element, ["batch", p]);
    }
}
