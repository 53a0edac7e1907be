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
    /// x itself, through a guard that makes ONNX Runtime fail when any value is outside 0..P−1. The values out of range
    /// are picked (Compress) and used as indices into an empty tensor, which every index is out of, so the Gather fails
    /// with a message that holds the guard's name (the column and its range) and the offending value. With every value
    /// in range the picked set is empty, the Gather yields nothing, and appending nothing leaves x as it was.
    /// </summary>
    private static TensorRef Checked(GraphWriter w, TensorRef x, string column, int p)
    {
        var flat = w.Node("Reshape", [x, w.Shape($"{column}.flat_shape", -1)]);
        var below = w.Node("Less", [flat, w.G.Scalar($"{column}.min", 0L)]);
        var above = w.Node("GreaterOrEqual", [flat, w.G.Scalar($"{column}.limit", (long)p)]);
        var outside = w.Node("Compress", [flat, w.Node("Or", [below, above])], attributes: new NodeAttributes { { "axis", 0L } });
        var failed = w.Node("Gather", [w.G.Initializer($"{column}.no_values", Array.Empty<long>(), [0]), outside],
            $"column {column} must hold values in 0..{p - 1}", new NodeAttributes { { "axis", 0L } });
        var nothing = w.Node("Reshape", [failed, w.Shape($"{column}.column_shape", -1, 1)]);
        return w.Node("Concat", [x, nothing], $"{column}.checked", new NodeAttributes { { "axis", 0L } });
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
