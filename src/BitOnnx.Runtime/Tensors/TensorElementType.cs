namespace BitOnnx.Runtime.Tensors;

/// <summary>Tensor element types (ONNXTensorElementDataType), named as in Microsoft.ML.OnnxRuntime.Tensors.</summary>
public enum TensorElementType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
}

/// <summary>CLR types for the element types this binding moves in and out of ORT.</summary>
public static class TensorElementTypeInfo
{
    public static TensorElementType Of<T>() where T : unmanaged => Of(typeof(T));

    public static TensorElementType Of(Type clrType) =>
        TryOf(clrType, out var type)
            ? type
            : throw new NotSupportedException(
                $"{clrType.Name} is not a supported tensor element type; use float, double, long, int, sbyte, byte, bool " +
                "(or short, ushort, uint, ulong, Half).");

    public static bool TryOf(Type clrType, out TensorElementType type)
    {
        type = clrType switch
        {
            _ when clrType == typeof(float) => TensorElementType.Float,
            _ when clrType == typeof(double) => TensorElementType.Double,
            _ when clrType == typeof(long) => TensorElementType.Int64,
            _ when clrType == typeof(int) => TensorElementType.Int32,
            _ when clrType == typeof(sbyte) => TensorElementType.Int8,
            _ when clrType == typeof(byte) => TensorElementType.UInt8,
            _ when clrType == typeof(bool) => TensorElementType.Bool,
            _ when clrType == typeof(short) => TensorElementType.Int16,
            _ when clrType == typeof(ushort) => TensorElementType.UInt16,
            _ when clrType == typeof(uint) => TensorElementType.UInt32,
            _ when clrType == typeof(ulong) => TensorElementType.UInt64,
            _ when clrType == typeof(Half) => TensorElementType.Float16,
            _ => TensorElementType.Undefined,
        };
        return type != TensorElementType.Undefined;
    }

    /// <summary>The CLR type for an element type, or null (string, complex, bfloat16).</summary>
    public static Type? ClrType(TensorElementType type) => type switch
    {
        TensorElementType.Float => typeof(float),
        TensorElementType.Double => typeof(double),
        TensorElementType.Int64 => typeof(long),
        TensorElementType.Int32 => typeof(int),
        TensorElementType.Int8 => typeof(sbyte),
        TensorElementType.UInt8 => typeof(byte),
        TensorElementType.Bool => typeof(bool),
        TensorElementType.Int16 => typeof(short),
        TensorElementType.UInt16 => typeof(ushort),
        TensorElementType.UInt32 => typeof(uint),
        TensorElementType.UInt64 => typeof(ulong),
        TensorElementType.Float16 => typeof(Half),
        _ => null,
    };
}
