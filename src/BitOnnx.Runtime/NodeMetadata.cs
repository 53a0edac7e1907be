using BitOnnx.Runtime.Tensors;

namespace BitOnnx.Runtime;

/// <summary>
/// What a model declares for one input or output: value kind, element type and dimensions
/// (-1 where a dimension is symbolic; its name is then in <see cref="SymbolicDimensions"/>).
/// </summary>
public sealed class NodeMetadata
{
    internal NodeMetadata(string name, OnnxValueType onnxValueType, TensorElementType elementDataType, long[] dimensions, string[] symbolicDimensions)
    {
        Name = name;
        OnnxValueType = onnxValueType;
        ElementDataType = elementDataType;
        LongDimensions = dimensions;
        Dimensions = dimensions.Select(d => d is >= 0 and <= int.MaxValue ? (int)d : -1).ToArray();
        SymbolicDimensions = symbolicDimensions;
    }

    public string Name { get; }

    public OnnxValueType OnnxValueType { get; }

    public bool IsTensor => OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR;

    public bool IsString => ElementDataType == TensorElementType.String;

    public TensorElementType ElementDataType { get; }

    /// <summary>The CLR element type (float, long, ...), or null where none maps.</summary>
    public Type? ElementType => TensorElementTypeInfo.ClrType(ElementDataType);

    /// <summary>Dimensions; -1 marks a symbolic (or unknown) dimension.</summary>
    public int[] Dimensions { get; }

    /// <summary>Names of symbolic dimensions ("batch"); empty string where the dimension is fixed.</summary>
    public string[] SymbolicDimensions { get; }

    internal long[] LongDimensions { get; }

    /// <summary>E.g. "Float [batch, 4]".</summary>
    public override string ToString()
    {
        if (!IsTensor) return OnnxValueType.ToString();
        var dims = LongDimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : SymbolicDimensions[i].Length > 0 ? SymbolicDimensions[i] : "?");
        return $"{ElementDataType} [{string.Join(", ", dims)}]";
    }
}
