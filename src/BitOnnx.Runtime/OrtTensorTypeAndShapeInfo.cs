using BitOnnx.Runtime.Tensors;

namespace BitOnnx.Runtime;

/// <summary>The element type and shape of a tensor value.</summary>
public sealed class OrtTensorTypeAndShapeInfo
{
    internal OrtTensorTypeAndShapeInfo(TensorElementType elementDataType, long[] shape)
    {
        ElementDataType = elementDataType;
        Shape = shape;
        ElementCount = ShapeMath.ElementCount(shape);
    }

    public TensorElementType ElementDataType { get; }

    public long[] Shape { get; }

    public int DimensionsCount => Shape.Length;

    public long ElementCount { get; }

    public override string ToString() => $"{ElementDataType} [{string.Join(", ", Shape)}]";
}

internal static class ShapeMath
{
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) return -1;
            count = checked(count * d);
        }

        return count;
    }
}
