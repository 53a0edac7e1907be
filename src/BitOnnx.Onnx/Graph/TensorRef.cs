namespace BitOnnx.Onnx;

/// <summary>
/// A named value in a graph under construction (an input, an initializer or a node output).
/// <see cref="None"/> fills the slot of an optional node input that is left out.
/// </summary>
public readonly record struct TensorRef(string Name)
{
    public static TensorRef None { get; } = new(string.Empty);

    public bool IsNone => string.IsNullOrEmpty(Name);

    public override string ToString() => IsNone ? "<none>" : Name;
}
