using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Checkpoints;

/// <summary>
/// The safetensors format (8-byte little-endian header length, a JSON header, then raw little-endian data), float32 only,
/// with string metadata under "__metadata__". Readable by PyTorch's safetensors and by Netron.
/// </summary>
public static class SafeTensorsFile
{
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>A name given twice is a corrupt header, not a choice between two tensors.</summary>
    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false };

    public static void Write(string path, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var list = tensors.ToList();
        var header = new JsonObject();
        if (metadata.Count > 0)
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata) meta[key] = value;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var t in list)
        {
            if (t.Data.Length != t.Shape.Size) throw new ArgumentException($"Tensor '{t.Name}' has {t.Data.Length} values for shape {t.Shape}.");
            var end = offset + 4L * t.Data.Length;
            header[t.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Dims.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, end),
            };
            offset = end;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (headerBytes.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(headerBytes);
            for (var i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var t in list)
            {
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
                stream.Write(MemoryMarshal.AsBytes(t.Data.AsSpan()));
            }
        });
    }

    public static (IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, $"Checkpoint '{path}' does not exist; give the model.safetensors of a run folder.");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new CheckpointException(path, $"'{path}' is not a safetensors file: it has only {bytes.Length} bytes.");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || 8 + (long)headerLength > bytes.Length)
            throw new CheckpointException(path, $"'{path}' is not a safetensors file or is truncated: its header claims {headerLength} bytes of the file's {bytes.Length}.");
        if (!System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(8, (int)headerLength)))
            throw new CheckpointException(path, $"'{path}' has a safetensors header that is not UTF-8 text: the file is corrupt.");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength), documentOptions: StrictJson) as JsonObject
                ?? throw new CheckpointException(path, $"'{path}' has a safetensors header that is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"'{path}' has a corrupt safetensors header: {e.Message}", e);
        }
        var dataStart = 8 + (long)headerLength;
        var metadata = new Dictionary<string, string>();
        var tensors = new List<NamedTensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is not JsonObject entries)
                    throw new CheckpointException(path, $"'{path}' has a __metadata__ entry that is not an object of strings.");
                foreach (var (key, value) in entries)
                    metadata[key] = value is JsonValue v && v.TryGetValue(out string? text)
                        ? text
                        : throw new CheckpointException(path, $"'{path}': metadata '{key}' is not a string.");
                continue;
            }
            tensors.Add(ReadTensor(path, name, node, bytes, dataStart));
        }
        return (tensors, metadata);
    }

    /// <summary>One tensor's header entry, every field checked: dtype F32, a shape of non-negative dims, offsets that fit.</summary>
    private static NamedTensor ReadTensor(string path, string name, JsonNode? node, byte[] bytes, long dataStart)
    {
        CheckpointException Malformed(string what) => new(path, $"Tensor '{name}' in '{path}' {what}; the file is not a safetensors checkpoint or is corrupt.");
        if (node is not JsonObject entry) throw Malformed("has a header entry that is not an object");
        if (entry["dtype"] is not JsonValue dtypeNode || !dtypeNode.TryGetValue(out string? dtype)) throw Malformed("has no dtype");
        if (dtype != "F32") throw new CheckpointException(path, $"Tensor '{name}' in '{path}' has dtype {dtype}; only F32 is supported.");
        if (entry["shape"] is not JsonArray dims) throw Malformed("has no shape array");
        var shapeDims = new int[dims.Count];
        long size = 1;
        for (var i = 0; i < dims.Count; i++)
        {
            if (dims[i] is not JsonValue dim || !dim.TryGetValue(out int d) || d < 0) throw Malformed($"has shape entry {dims[i]?.ToJsonString() ?? "null"}, not a size");
            shapeDims[i] = d;
            size *= d;
            if (size > int.MaxValue) throw Malformed("has a shape of more than 2^31 elements");
        }
        var shape = new Shape(shapeDims);
        if (entry["data_offsets"] is not JsonArray { Count: 2 } offsets
            || offsets[0] is not JsonValue first || !first.TryGetValue(out long begin)
            || offsets[1] is not JsonValue second || !second.TryGetValue(out long end))
            throw Malformed("has no data_offsets [begin, end]");
        if (begin < 0 || end < begin || end - begin != 4L * shape.Size || dataStart + end > bytes.Length)
            throw new CheckpointException(path, $"Tensor '{name}' in '{path}' has data offsets [{begin}, {end}] that do not fit shape {shape} or the file (truncated?).");
        var data = new float[shape.Size];
        MemoryMarshal.Cast<byte, float>(bytes.AsSpan((int)(dataStart + begin), (int)(end - begin))).CopyTo(data);
        return new NamedTensor(name, shape, data);
    }
}

/// <summary>A checkpoint that is missing, corrupt, or does not match what was asked of it.</summary>
public sealed class CheckpointException : InvalidFileException
{
    public CheckpointException(string path, string message) : base(path, message) { }

    public CheckpointException(string path, string message, Exception inner) : base(path, message, inner) { }
}
