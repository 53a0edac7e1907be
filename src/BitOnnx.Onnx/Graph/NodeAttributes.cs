using System.Collections;
using BitOnnx.Onnx.Proto;
using Google.Protobuf;

namespace BitOnnx.Onnx;

/// <summary>
/// The attributes of one node, written as a collection initializer:
/// <c>new NodeAttributes { { "axis", 1 }, { "perm", [0L, 2, 1] }, { "alpha", 0.5f } }</c>.
/// </summary>
public sealed class NodeAttributes : IEnumerable<AttributeProto>
{
    private readonly List<AttributeProto> attributes = [];

    public int Count => attributes.Count;

    public NodeAttributes Add(string name, long value) =>
        Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    public NodeAttributes Add(string name, float value) =>
        Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    /// <summary>ONNX float attributes are 32-bit; a double is narrowed to float.</summary>
    public NodeAttributes Add(string name, double value) => Add(name, (float)value);

    public NodeAttributes Add(string name, string value) =>
        Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

    public NodeAttributes Add(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return Add(attribute);
    }

    public NodeAttributes Add(string name, float[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        attribute.Floats.AddRange(values);
        return Add(attribute);
    }

    public NodeAttributes Add(string name, string[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return Add(attribute);
    }

    public NodeAttributes Add(string name, TensorProto value) =>
        Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value });

    public NodeAttributes Add(AttributeProto attribute)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        ArgumentException.ThrowIfNullOrWhiteSpace(attribute.Name);
        if (attributes.Any(a => a.Name == attribute.Name))
        {
            throw new ArgumentException($"Attribute '{attribute.Name}' is given twice.", nameof(attribute));
        }

        attributes.Add(attribute);
        return this;
    }

    public IEnumerator<AttributeProto> GetEnumerator() => attributes.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
