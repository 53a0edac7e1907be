using BitOnnx.Onnx.Proto;

namespace BitOnnx.Onnx.Export;

/// <summary>
/// The graph builder plus the element type the exported computation runs in (float32, or float64 for finite
/// differences), so every constant is created once in the right type.
/// </summary>
internal sealed class GraphWriter(OnnxGraphBuilder builder, bool doublePrecision)
{
    public OnnxGraphBuilder G { get; } = builder;
    public TensorElementType Element { get; } = doublePrecision ? TensorElementType.Double : TensorElementType.Float;

    public TensorRef Values(string name, float[] data, params long[] shape) =>
        Element == TensorElementType.Double
            ? G.Initializer(name, Array.ConvertAll(data, v => (double)v), shape)
            : G.Initializer(name, data, shape);

    public TensorRef Scalar(string name, double value) =>
        Element == TensorElementType.Double ? G.Scalar(name, value) : G.Scalar(name, (float)value);

    public TensorRef Shape(string name, params long[] dims) => G.Initializer(name, dims, [dims.Length]);

    public TensorRef Node(string op, IReadOnlyList<TensorRef> inputs, string? output = null, NodeAttributes? attributes = null,
        string domain = OnnxVersions.DefaultDomain) => G.Node(op, inputs, attributes, output, domain);

    public TensorRef Transpose(TensorRef x, long[] perm, string? output = null) =>
        Node("Transpose", [x], output, new NodeAttributes { { "perm", perm } });
}
