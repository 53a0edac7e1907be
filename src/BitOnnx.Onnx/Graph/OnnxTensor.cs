using System.Runtime.InteropServices;
using BitOnnx.Onnx.Proto;
using Google.Protobuf;

namespace BitOnnx.Onnx;

/// <summary>
/// Converts between typed arrays and <see cref="TensorProto"/>. Writes raw_data (fixed width, little-endian,
/// as the ONNX spec requires); reads raw_data or the typed *_data fields that other producers use.
/// </summary>
public static class OnnxTensor
{
    public static TensorProto FromArray<T>(string name, ReadOnlySpan<T> data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(name);
        RequireLittleEndian();
        var elementType = TensorElementTypes.Of<T>();
        long count = ElementCount(shape, name);
        if (count != data.Length)
        {
            throw new ArgumentException(
                $"Tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] holds {count} elements but {data.Length} values were given.",
                nameof(data));
        }

        var tensor = new TensorProto { Name = name, DataType = (int)elementType };
        tensor.Dims.AddRange(shape.ToArray());
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data));
        return tensor;
    }

    /// <summary>A tensor of rank 0 holding one value.</summary>
    public static TensorProto Scalar<T>(string name, T value) where T : unmanaged =>
        FromArray(name, new ReadOnlySpan<T>(in value), ReadOnlySpan<long>.Empty);

    public static TensorElementType ElementTypeOf(TensorProto tensor) => (TensorElementType)tensor.DataType;

    public static long ElementCount(TensorProto tensor) => ElementCount(tensor.Dims.ToArray(), tensor.Name);

    /// <summary>Reads the tensor's values; <typeparamref name="T"/> must match its element type exactly.</summary>
    public static T[] ToArray<T>(TensorProto tensor) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        RequireLittleEndian();
        var stored = ElementTypeOf(tensor);
        var requested = TensorElementTypes.Of<T>();
        if (stored != requested)
        {
            throw new InvalidOperationException(
                $"Tensor '{tensor.Name}' holds {stored} values; read it as {stored}, not as {typeof(T).Name} ({requested}).");
        }

        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
        {
            throw new OnnxFormatException(null,
                $"Tensor '{tensor.Name}' keeps its data in an external file; BitOnnx reads only tensors stored inside the model.");
        }

        long count = ElementCount(tensor);
        var result = new T[count];
        if (tensor.HasRawData)
        {
            var raw = tensor.RawData.Span;
            long expectedBytes = count * TensorElementTypes.SizeOf(stored);
            if (raw.Length != expectedBytes)
            {
                throw new OnnxFormatException(null,
                    $"Tensor '{tensor.Name}' has {raw.Length} bytes of raw_data; its shape and type need {expectedBytes}.");
            }

            raw.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
            return result;
        }

        CopyTypedField(tensor, stored, MemoryMarshal.AsBytes(result.AsSpan()), count);
        return result;
    }

    private static void CopyTypedField(TensorProto tensor, TensorElementType type, Span<byte> destination, long count)
    {
        switch (type)
        {
            case TensorElementType.Float:
                CopyExact(tensor, tensor.FloatData, destination, count);
                break;
            case TensorElementType.Double:
                CopyExact(tensor, tensor.DoubleData, destination, count);
                break;
            case TensorElementType.Int64:
                CopyExact(tensor, tensor.Int64Data, destination, count);
                break;
            case TensorElementType.Int32:
                CopyExact(tensor, tensor.Int32Data, destination, count);
                break;
            case TensorElementType.UInt64:
                CopyExact(tensor, tensor.Uint64Data, destination, count);
                break;
            case TensorElementType.UInt32:
                RequireCount(tensor, tensor.Uint64Data.Count, count);
                var u32 = MemoryMarshal.Cast<byte, uint>(destination);
                for (int i = 0; i < u32.Length; i++) u32[i] = checked((uint)tensor.Uint64Data[i]);
                break;
            case TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Bool:
                // The spec stores 8-bit values widened to int32 in int32_data.
                RequireCount(tensor, tensor.Int32Data.Count, count);
                for (int i = 0; i < destination.Length; i++) destination[i] = unchecked((byte)tensor.Int32Data[i]);
                break;
            case TensorElementType.Int16 or TensorElementType.UInt16 or TensorElementType.Float16 or TensorElementType.BFloat16:
                RequireCount(tensor, tensor.Int32Data.Count, count);
                var u16 = MemoryMarshal.Cast<byte, ushort>(destination);
                for (int i = 0; i < u16.Length; i++) u16[i] = unchecked((ushort)tensor.Int32Data[i]);
                break;
            default:
                throw new NotSupportedException($"Tensor '{tensor.Name}': reading {type} values is not supported.");
        }
    }

    private static void CopyExact<TField>(TensorProto tensor, Google.Protobuf.Collections.RepeatedField<TField> field, Span<byte> destination, long count)
        where TField : unmanaged
    {
        RequireCount(tensor, field.Count, count);
        var typed = MemoryMarshal.Cast<byte, TField>(destination);
        for (int i = 0; i < typed.Length; i++) typed[i] = field[i];
    }

    private static void RequireCount(TensorProto tensor, int stored, long expected)
    {
        if (stored != expected)
        {
            throw new OnnxFormatException(null,
                $"Tensor '{tensor.Name}' stores {stored} values; its shape [{string.Join(", ", tensor.Dims)}] needs {expected}.");
        }
    }

    private static long ElementCount(ReadOnlySpan<long> shape, string name)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor '{name}' has a negative dimension {d}.", nameof(shape));
            count = checked(count * d);
        }

        if (count > Array.MaxLength) throw new ArgumentException($"Tensor '{name}' has {count} elements, more than one array holds.");
        return count;
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; BitOnnx supports little-endian machines only.");
        }
    }
}
