namespace BitOnnx.Engine.Kernels;

/// <summary>
/// One product C[m×n] = op(A)·op(B) (or C += …): its dimensions and flags, checked once against the spans.
/// op(A) is m×k, stored as A[m×k] or, when <see cref="TransposeA"/>, as A[k×m]; op(B) is k×n, stored as
/// B[k×n] or, when <see cref="TransposeB"/>, as B[n×k]. Everything is row-major and contiguous.
/// </summary>
internal readonly record struct GemmShape(int M, int N, int K, bool TransposeA, bool TransposeB, bool Accumulate)
{
    /// <summary>Number of fused multiply-adds the product performs.</summary>
    public long MultiplyAdds => (long)M * N * K;

    /// <summary>
    /// Checks dimensions, span lengths, aliasing and the thread count; throws an <see cref="ArgumentException"/>
    /// (or <see cref="ArgumentOutOfRangeException"/>) that names the offending argument and what it needs.
    /// Spans may be longer than needed; only their first m·k, k·n and m·n elements are used.
    /// </summary>
    public static GemmShape Validate(
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, int threads)
    {
        RequireNonNegative(m, nameof(m), "rows of C and of op(A)");
        RequireNonNegative(n, nameof(n), "columns of C and of op(B)");
        RequireNonNegative(k, nameof(k), "the shared (summed) dimension");
        if (threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads,
                "threads must be at least 1 (1 means: compute on the calling thread only).");
        }

        long aNeeded = (long)m * k, bNeeded = (long)k * n, cNeeded = (long)m * n;
        if (a.Length < aNeeded || aNeeded > int.MaxValue)
        {
            string layout = transposeA ? $"stored transposed as A[{k}×{m}]" : $"stored as A[{m}×{k}]";
            ThrowLength(a.Length, aNeeded, nameof(a), $"op(A) is {m}×{k}, {layout}");
        }

        if (b.Length < bNeeded || bNeeded > int.MaxValue)
        {
            string layout = transposeB ? $"stored transposed as B[{n}×{k}]" : $"stored as B[{k}×{n}]";
            ThrowLength(b.Length, bNeeded, nameof(b), $"op(B) is {k}×{n}, {layout}");
        }

        if (c.Length < cNeeded || cNeeded > int.MaxValue)
        {
            ThrowLength(c.Length, cNeeded, nameof(c), $"C is {m}×{n}");
        }

        ReadOnlySpan<float> cUsed = c[..(int)cNeeded];
        if (cUsed.Overlaps(a[..(int)aNeeded]) || cUsed.Overlaps(b[..(int)bNeeded]))
        {
            throw new ArgumentException(
                "C overlaps A or B; the product reads A and B while it writes C, so give C its own buffer.", nameof(c));
        }

        return new GemmShape(m, n, k, transposeA, transposeB, accumulate);
    }

    /// <summary>Checks an epilogue's mask, which has C's shape: long enough, and not overlapping C.</summary>
    public static void ValidateMask(ReadOnlySpan<float> mask, ReadOnlySpan<float> c, int m, int n)
    {
        long needed = (long)m * n;
        if (mask.Length < needed)
        {
            throw new ArgumentException(
                $"mask holds {mask.Length} floats but it has C's shape, {m}×{n}, which needs {needed}.", nameof(mask));
        }

        if (mask[..(int)needed].Overlaps(c[..(int)needed]))
        {
            throw new ArgumentException("mask overlaps C; give C its own buffer.", nameof(mask));
        }
    }

    private static void RequireNonNegative(int value, string name, string meaning)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} ({meaning}) must be zero or positive.");
        }
    }

    private static void ThrowLength(int length, long needed, string name, string layout)
    {
        if (needed > int.MaxValue)
        {
            throw new ArgumentException($"{layout}: {needed} elements exceed the largest span ({int.MaxValue}).", name);
        }

        throw new ArgumentException(
            $"{name} holds {length} floats but {layout}, which needs {needed}; check the dimensions and transpose flags.",
            name);
    }
}
