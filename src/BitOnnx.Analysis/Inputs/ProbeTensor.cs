namespace BitOnnx.Analysis.Inputs;

/// <summary>
/// One named activation or weight tensor, row-major. <see cref="Shape"/> is stated once here and checked
/// by the readers in <see cref="ProbeViews"/>; nothing else in the library re-derives it.
/// </summary>
public sealed record ProbeTensor(string Name, float[] Data, int[] Shape)
{
    /// <summary>Number of elements the shape implies.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    /// <summary>The shape as text, e.g. <c>[12769, 3, 512]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>Throws when Data's length disagrees with Shape (a broken producer, not a user error).</summary>
    public ProbeTensor Validated()
    {
        if (Data.LongLength != ElementCount)
        {
            throw new InvalidOperationException(
                $"Tensor '{Name}' has {Data.LongLength} values but its shape {ShapeText} implies {ElementCount}.");
        }
        return this;
    }
}
