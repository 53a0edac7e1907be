using BitOnnx.Onnx.Proto;
using Google.Protobuf;

namespace BitOnnx.Onnx;

/// <summary>
/// A loaded (or freshly built) ONNX model: save and load it, and list what it declares —
/// inputs, outputs, initializers (values readable as typed arrays), opset imports and metadata.
/// </summary>
public sealed class OnnxModel
{
    public OnnxModel(ModelProto proto)
    {
        Proto = proto ?? throw new ArgumentNullException(nameof(proto));
        if (proto.Graph is null) throw new OnnxFormatException(null, "Not an ONNX model: it has no graph.");
    }

    public ModelProto Proto { get; }

    public GraphProto Graph => Proto.Graph;

    public long IrVersion => Proto.IrVersion;

    public IReadOnlyList<OnnxValueInfo> Inputs => Graph.Input.Select(ToValueInfo).ToArray();

    public IReadOnlyList<OnnxValueInfo> Outputs => Graph.Output.Select(ToValueInfo).ToArray();

    public IReadOnlyList<OnnxInitializerInfo> Initializers =>
        Graph.Initializer.Select(t => new OnnxInitializerInfo(t.Name, OnnxTensor.ElementTypeOf(t), t.Dims.ToArray())).ToArray();

    /// <summary>Imported operator sets, domain ("" for ONNX) to version.</summary>
    public IReadOnlyDictionary<string, long> Opsets =>
        Proto.OpsetImport.ToDictionary(o => o.Domain, o => o.Version, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Metadata =>
        Proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    public static OnnxModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new OnnxFormatException(path, $"ONNX model '{path}' does not exist; give the path of an .onnx file written by bitonnx export.");
        try
        {
            return FromBytes(File.ReadAllBytes(path));
        }
        catch (OnnxFormatException e)
        {
            throw new OnnxFormatException(path, $"'{path}' is not a readable ONNX model: {e.Message}", e);
        }
    }

    public static OnnxModel FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) throw new OnnxFormatException(null, "The model is empty (0 bytes).");
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException(null, $"Not an ONNX ModelProto: {e.Message}", e);
        }

        if (proto.Graph is null) throw new OnnxFormatException(null, "Not an ONNX model: it has no graph.");
        return new OnnxModel(proto);
    }

    public byte[] ToBytes() => Proto.ToByteArray();

    /// <summary>Writes the model via a temporary file and a rename, so readers never see half a file.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(fullPath);
        if (directory is not null) Directory.CreateDirectory(directory);
        string temporary = $"{fullPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Proto.WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public TensorProto GetInitializer(string name) =>
        Graph.Initializer.FirstOrDefault(t => t.Name == name)
        ?? throw new OnnxFormatException(null,
            $"Graph '{Graph.Name}' has no initializer '{name}'. It has: {string.Join(", ", Graph.Initializer.Select(t => t.Name))}.");

    /// <summary>An initializer's values; <typeparamref name="T"/> must match its element type (float, sbyte, byte, long, ...).</summary>
    public T[] ReadInitializer<T>(string name) where T : unmanaged => OnnxTensor.ToArray<T>(GetInitializer(name));

    private static OnnxValueInfo ToValueInfo(ValueInfoProto value)
    {
        var tensor = value.Type?.TensorType;
        if (tensor is null) return new OnnxValueInfo(value.Name, TensorElementType.Undefined, null);
        IReadOnlyList<Dim>? shape = tensor.Shape?.Dim.Select(ToDim).ToArray();
        return new OnnxValueInfo(value.Name, (TensorElementType)tensor.ElemType, shape);
    }

    // A dimension with neither value nor name is unknown; ONNX tools show it as "?", we keep it symbolic.
    private static Dim ToDim(TensorShapeProto.Types.Dimension d) =>
        d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0 ? Dim.Fixed(d.DimValue)
        : Dim.Symbolic(string.IsNullOrEmpty(d.DimParam) ? "?" : d.DimParam);
}
