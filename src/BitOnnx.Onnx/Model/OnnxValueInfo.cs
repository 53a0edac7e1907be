namespace BitOnnx.Onnx;

/// <summary>A graph input or output as declared in the model: name, element type, shape (null: unknown rank).</summary>
public sealed record OnnxValueInfo(string Name, TensorElementType ElementType, IReadOnlyList<Dim>? Shape)
{
    public override string ToString() => $"{Name}: {ElementType} {Dim.Format(Shape)}";
}

/// <summary>An initializer's name, element type and shape (its values stay in the model until read).</summary>
public sealed record OnnxInitializerInfo(string Name, TensorElementType ElementType, IReadOnlyList<long> Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);

    public override string ToString() => $"{Name}: {ElementType} [{string.Join(", ", Shape)}]";
}
