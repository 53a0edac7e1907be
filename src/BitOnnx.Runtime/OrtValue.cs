using System.Runtime.CompilerServices;
using BitOnnx.Runtime.Native;
using BitOnnx.Runtime.Tensors;

namespace BitOnnx.Runtime;

/// <summary>
/// A value passed to or returned from ORT (here: a tensor). Created over managed memory (which stays pinned,
/// never copied, until disposal) or allocated by ORT; outputs of Run are ORT-allocated. Dispose it; spans from
/// <see cref="GetTensorDataAsSpan{T}"/> are valid only until then.
/// </summary>
public sealed unsafe class OrtValue : IDisposable
{
    private readonly OrtValueHandle handle;
    private const int UnknownValueType = -1;

    // Filled on first use; both writes are atomic (a reference, an int), so concurrent readers see all or nothing.
    private OrtTensorTypeAndShapeInfo? typeAndShape;
    private int valueType = UnknownValueType;

    internal OrtValue(OrtValueHandle handle, OrtTensorTypeAndShapeInfo? knownTypeAndShape = null)
    {
        this.handle = handle;
        typeAndShape = knownTypeAndShape;
        if (knownTypeAndShape is not null) valueType = (int)OnnxValueType.ONNX_TYPE_TENSOR;
    }

    public OnnxValueType OnnxType
    {
        get
        {
            int known = Volatile.Read(ref valueType);
            if (known == UnknownValueType)
            {
                known = WithHandle(OrtApi.GetValueType);
                Volatile.Write(ref valueType, known);
            }

            return (OnnxValueType)known;
        }
    }

    public bool IsTensor => OnnxType == OnnxValueType.ONNX_TYPE_TENSOR;

    public bool IsDisposed => handle.IsClosed;

    internal OrtValueHandle Handle => handle;

    /// <summary>A tensor over <paramref name="data"/> (no copy; the array stays pinned until the value is disposed).</summary>
    public static OrtValue CreateTensorValueFromMemory<T>(T[] data, long[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<T>(data), shape);
    }

    /// <summary>A tensor over <paramref name="memory"/> (no copy; pinned until the value is disposed).</summary>
    public static OrtValue CreateTensorValueFromMemory<T>(OrtMemoryInfo memoryInfo, Memory<T> memory, long[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(memoryInfo);
        ArgumentNullException.ThrowIfNull(shape);
        var elementType = TensorElementTypeInfo.Of<T>();
        long count = ShapeMath.ElementCount(shape);
        if (count < 0 || count != memory.Length)
        {
            throw new ArgumentException(
                $"Shape [{string.Join(", ", shape)}] holds {count} elements but the buffer has {memory.Length}.", nameof(shape));
        }

        var valueHandle = new OrtValueHandle();
        var pin = memory.Pin();
        try
        {
            fixed (long* dims = shape)
            {
                valueHandle.Attach(OrtApi.CreateTensorWithDataAsOrtValue(
                    OrtMemoryInfo.Native, pin.Pointer, (nuint)memory.Length * (nuint)sizeof(T), dims, (nuint)shape.Length, (int)elementType));
            }
        }
        catch
        {
            pin.Dispose();
            throw;
        }

        valueHandle.OwnPin(pin);
        return new OrtValue(valueHandle, new OrtTensorTypeAndShapeInfo(elementType, (long[])shape.Clone()));
    }

    /// <summary>A tensor whose memory ORT allocates (contents undefined until written through <see cref="GetTensorMutableDataAsSpan{T}"/>).</summary>
    public static OrtValue CreateAllocatedTensorValue(OrtAllocator allocator, TensorElementType elementType, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(shape);
        if (TensorElementTypeInfo.ClrType(elementType) is null)
        {
            throw new ArgumentException($"{elementType} tensors are not supported by this binding.", nameof(elementType));
        }

        if (ShapeMath.ElementCount(shape) < 0)
        {
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
        }

        var valueHandle = new OrtValueHandle();
        fixed (long* dims = shape)
        {
            valueHandle.Attach(OrtApi.CreateTensorAsOrtValue(OrtAllocator.Native, dims, (nuint)shape.Length, (int)elementType));
        }

        return new OrtValue(valueHandle, new OrtTensorTypeAndShapeInfo(elementType, (long[])shape.Clone()));
    }

    public OrtTensorTypeAndShapeInfo GetTensorTypeAndShape()
    {
        var info = TypeAndShape;
        return new OrtTensorTypeAndShapeInfo(info.ElementDataType, (long[])info.Shape.Clone());
    }

    /// <summary>The tensor's elements, read-only, without a copy. <typeparamref name="T"/> must match the element type.</summary>
    public ReadOnlySpan<T> GetTensorDataAsSpan<T>() where T : unmanaged => GetTensorMutableDataAsSpan<T>();

    /// <summary>The tensor's elements, writable, without a copy. <typeparamref name="T"/> must match the element type.</summary>
    public Span<T> GetTensorMutableDataAsSpan<T>() where T : unmanaged
    {
        var info = TypeAndShape;
        var requested = TensorElementTypeInfo.Of<T>();
        if (requested != info.ElementDataType)
        {
            throw new InvalidOperationException(
                $"This tensor holds {info.ElementDataType} elements; read it as {TensorElementTypeInfo.ClrType(info.ElementDataType)?.Name ?? info.ElementDataType.ToString()}, not {typeof(T).Name}.");
        }

        void* data = WithHandle(h => (nint)OrtApi.GetTensorMutableData(h)).ToPointer();
        return info.ElementCount == 0 ? Span<T>.Empty : new Span<T>(data, checked((int)info.ElementCount));
    }

    public void Dispose() => handle.Dispose();

    public override string ToString() => IsDisposed ? "OrtValue (disposed)" : IsTensor ? $"OrtValue {TypeAndShape}" : $"OrtValue {OnnxType}";

    internal OrtTensorTypeAndShapeInfo TypeAndShape => typeAndShape ??= ReadTypeAndShape();

    private OrtTensorTypeAndShapeInfo ReadTypeAndShape()
    {
        if (!IsTensor) throw new InvalidOperationException($"This value is a {OnnxType}, not a tensor.");
        return WithHandle(h =>
        {
            nint info = OrtApi.GetTensorTypeAndShape(h);
            try
            {
                return new OrtTensorTypeAndShapeInfo((TensorElementType)OrtApi.GetTensorElementType(info), OrtApi.GetDimensions(info));
            }
            finally
            {
                OrtApi.ReleaseTensorTypeAndShapeInfo(info);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TResult WithHandle<TResult>(Func<nint, TResult> call)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return call(handle.DangerousGetHandle());
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }
}
