namespace BitOnnx.Onnx;

/// <summary>
/// One dimension of a graph input or output: a fixed size, or a symbolic name such as "batch".
/// Converts implicitly from int, long and string, so shapes read as <c>["batch", 3]</c>.
/// </summary>
public readonly record struct Dim
{
    private Dim(long? size, string? name)
    {
        Size = size;
        Name = name;
    }

    /// <summary>The fixed size, or null for a symbolic dimension.</summary>
    public long? Size { get; }

    /// <summary>The symbolic name, or null for a fixed dimension.</summary>
    public string? Name { get; }

    public bool IsSymbolic => Name is not null;

    public static Dim Fixed(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return new Dim(size, null);
    }

    public static Dim Symbolic(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new Dim(null, name);
    }

    public static implicit operator Dim(long size) => Fixed(size);

    public static implicit operator Dim(int size) => Fixed(size);

    public static implicit operator Dim(string name) => Symbolic(name);

    public override string ToString() => Name ?? Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";

    /// <summary>Formats a shape as "[batch, 3]"; "[?]" stands for an unknown rank.</summary>
    public static string Format(IReadOnlyList<Dim>? shape) => shape is null ? "[?]" : "[" + string.Join(", ", shape) + "]";
}
