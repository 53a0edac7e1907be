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
        if (!File.Exists(path)) throw new CheckpointException($"Checkpoint '{path}' does not exist.");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new CheckpointException($"'{path}' is not a safetensors file: it has only {bytes.Length} bytes.");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || 8 + (long)headerLength > bytes.Length)
            throw new CheckpointException($"'{path}' is not a safetensors file or is truncated: its header claims {headerLength} bytes.");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength))?.AsObject()
                ?? throw new CheckpointException($"'{path}' has an empty safetensors header.");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"'{path}' has a corrupt safetensors header: {e.Message}");
        }
        var dataStart = 8 + (long)headerLength;
        var metadata = new Dictionary<string, string>();
        var tensors = new List<NamedTensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (key, value) in node!.AsObject()) metadata[key] = value?.GetValue<string>() ?? "";
                continue;
            }
            tensors.Add(ReadTensor(path, name, node, bytes, dataStart));
        }
        return (tensors, metadata);
    }

    private static NamedTensor ReadTensor(string path, string name, JsonNode? node, byte[] bytes, long dataStart)
    {
        try
        {
            var dtype = node!["dtype"]!.GetValue<string>();
            if (dtype != "F32") throw new CheckpointException($"Tensor '{name}' in '{path}' has dtype {dtype}; only F32 is supported.");
            var shape = new Shape(node["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray());
            var offsets = node["data_offsets"]!.AsArray();
            long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
            if (begin < 0 || end < begin || end - begin != 4L * shape.Size || dataStart + end > bytes.Length)
                throw new CheckpointException($"Tensor '{name}' in '{path}' has data offsets [{begin}, {end}] that do not fit shape {shape} or the file (truncated?).");
            var data = new float[shape.Size];
            MemoryMarshal.Cast<byte, float>(bytes.AsSpan((int)(dataStart + begin), (int)(end - begin))).CopyTo(data);
            return new NamedTensor(name, shape, data);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or ArgumentException)
        {
            throw new CheckpointException($"Tensor '{name}' in '{path}' has a malformed header entry: {e.Message}");
        }
    }
}

/// <summary>A checkpoint that is missing, corrupt, or does not match what was asked of it.</summary>
public sealed class CheckpointException(string message) : BitOnnxException(message);
