namespace BitOnnx.Core.Model;

/// <summary>The dimensions of a row-major tensor, stated once and carried with it.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"Shape dimensions must be non-negative, got [{string.Join(", ", dims)}].");
        _dims = (int[])dims.Clone();
        long size = 1;
        foreach (var d in dims) size *= d;
        if (size > int.MaxValue) throw new ArgumentException($"Shape [{string.Join(", ", dims)}] has more than {int.MaxValue} elements.");
        Size = (int)size;
    }

    public int Rank => _dims.Length;
    public int Size { get; }
    public int this[int axis] => _dims[axis];
    public IReadOnlyList<int> Dims => _dims;

    public int[] ToArray() => (int[])_dims.Clone();
    public long[] ToLongArray() => Array.ConvertAll(_dims, d => (long)d);

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => Equals(obj as Shape);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dims) hash.Add(d);
        return hash.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(", ", _dims) + "]";
}
