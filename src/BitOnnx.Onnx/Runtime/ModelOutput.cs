namespace BitOnnx.Onnx.Runtime;

/// <summary>One output of a run over <c>rows</c> token rows: values row-major in <paramref name="Shape"/>, whose first axis is the rows.</summary>
public sealed record ModelOutput(string Name, float[] Data, int[] Shape)
{
    /// <summary>Values per row (the product of the non-batch dimensions).</summary>
    public int RowSize => Shape.Skip(1).Aggregate(1, (a, b) => a * b);

    /// <summary>The values of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Row(int row) => Data.AsSpan(row * RowSize, RowSize);
}

/// <summary>A declared graph input or output as ONNX Runtime sees it: dims with -1 for the batch (and any other symbolic) axis.</summary>
public sealed record ModelValueInfo(string Name, TensorElementType ElementType, int[] Dimensions)
{
    /// <summary>Values per row when every non-batch dimension is fixed; null otherwise.</summary>
    public int? FixedRowSize => Dimensions.Length >= 1 && Dimensions.Skip(1).All(d => d >= 0) ? Dimensions.Skip(1).Aggregate(1, (a, b) => a * b) : null;
}
