namespace BitOnnx.Onnx;

/// <summary>ONNX tensor element types; values are TensorProto.DataType codes.</summary>
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

/// <summary>Maps CLR element types to ONNX element types and back.</summary>
public static class TensorElementTypes
{
    public static TensorElementType Of<T>() where T : unmanaged => Of(typeof(T));

    public static TensorElementType Of(Type clrType) => clrType switch
    {
        _ when clrType == typeof(float) => TensorElementType.Float,
        _ when clrType == typeof(double) => TensorElementType.Double,
        _ when clrType == typeof(byte) => TensorElementType.UInt8,
        _ when clrType == typeof(sbyte) => TensorElementType.Int8,
        _ when clrType == typeof(ushort) => TensorElementType.UInt16,
        _ when clrType == typeof(short) => TensorElementType.Int16,
        _ when clrType == typeof(int) => TensorElementType.Int32,
        _ when clrType == typeof(uint) => TensorElementType.UInt32,
        _ when clrType == typeof(long) => TensorElementType.Int64,
        _ when clrType == typeof(ulong) => TensorElementType.UInt64,
        _ when clrType == typeof(bool) => TensorElementType.Bool,
        _ when clrType == typeof(Half) => TensorElementType.Float16,
        _ => throw new NotSupportedException(
            $"{clrType.Name} has no ONNX tensor element type; use float, double, sbyte, byte, short, ushort, int, uint, long, ulong, bool or Half."),
    };

    /// <summary>Bytes per element in raw_data, or 0 where the type has no fixed width (string) or is sub-byte.</summary>
    public static int SizeOf(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Complex64 => 8,
        TensorElementType.UInt8 or TensorElementType.Int8 or TensorElementType.Bool => 1,
        TensorElementType.UInt16 or TensorElementType.Int16 or TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        TensorElementType.Complex128 => 16,
        _ => 0,
    };
}
