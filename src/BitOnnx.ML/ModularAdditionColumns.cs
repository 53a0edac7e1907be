using BitOnnx.Onnx.Contract;

namespace BitOnnx.ML;

/// <summary>The column names of the modular-addition predictor, as ML.NET's multiclass components name theirs.</summary>
public static class ModularAdditionColumns
{
    /// <summary>Input: the first addend, Int32 in 0..P−1.</summary>
    public const string A = ModelContract.PairA;

    /// <summary>Input: the second addend, Int32 in 0..P−1.</summary>
    public const string B = ModelContract.PairB;

    /// <summary>Training input: (A + B) mod P, Int32.</summary>
    public const string Label = "Label";

    /// <summary>Output: the class probabilities, Vector&lt;Single, P&gt;, softmax of the logits.</summary>
    public const string Score = ModelContract.Score;

    /// <summary>
    /// Output: the predicted (A + B) mod P, a Vector&lt;Int32, 1&gt; (ML.NET makes every ONNX output a vector column and
    /// none of its standard transforms turns a one-element vector into a scalar).
    /// </summary>
    public const string PredictedSum = ModelContract.PredictedSum;

    /// <summary>Output: the raw logits, Vector&lt;Single, P&gt;, under their TransformerLens name.</summary>
    public const string Logits = ModelContract.Logits;
}
