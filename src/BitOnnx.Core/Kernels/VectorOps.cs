using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BitOnnx.Core.Kernels;

/// <summary>
/// Element-wise and reduction helpers of the training engine that <c>TensorPrimitives</c> lacks (it already has
/// Dot, Sum, MultiplyAdd for axpy, …): ReLU and its gradient mask, and sums over the rows or columns of a row-major
/// matrix. Vectorized with whichever of Vector512 / Vector256 / Vector128 is accelerated; every result is
/// deterministic on a given machine. <see cref="VectorOpsReference"/> holds the scalar references.
/// </summary>
public static class VectorOps
{
    /// <summary>y = ReLU(x) = x &lt; 0 ? 0 : x (NaN passes through, so a diverged value stays visible).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        RequireSameLength(x.Length, y.Length, nameof(y), "x");
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int i = 0, length = x.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - 16; i += 16)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref xs, (nuint)i);
                Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), Vector512<float>.Zero, v)
                    .StoreUnsafe(ref ys, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - 8; i += 8)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref xs, (nuint)i);
                Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v)
                    .StoreUnsafe(ref ys, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            float v = Unsafe.Add(ref xs, i);
            Unsafe.Add(ref ys, i) = v < 0f ? 0f : v;
        }
    }

    /// <summary>
    /// The ReLU gradient: dx = s &gt; 0 ? dy : 0, where <paramref name="sign"/> is the ReLU's input or its output
    /// (both are positive at the same places).
    /// </summary>
    public static void ReluBackward(ReadOnlySpan<float> sign, ReadOnlySpan<float> dy, Span<float> dx)
    {
        RequireSameLength(sign.Length, dy.Length, nameof(dy), nameof(sign));
        RequireSameLength(sign.Length, dx.Length, nameof(dx), nameof(sign));
        ref float ss = ref MemoryMarshal.GetReference(sign);
        ref float gs = ref MemoryMarshal.GetReference(dy);
        ref float ds = ref MemoryMarshal.GetReference(dx);
        int i = 0, length = sign.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - 16; i += 16)
            {
                Vector512<float> positive = Vector512.GreaterThan(Vector512.LoadUnsafe(ref ss, (nuint)i), Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref gs, (nuint)i) & positive).StoreUnsafe(ref ds, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - 8; i += 8)
            {
                Vector256<float> positive = Vector256.GreaterThan(Vector256.LoadUnsafe(ref ss, (nuint)i), Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref gs, (nuint)i) & positive).StoreUnsafe(ref ds, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref ds, i) = Unsafe.Add(ref ss, i) > 0f ? Unsafe.Add(ref gs, i) : 0f;
        }
    }

    /// <summary>
    /// sums[j] = Σ_i matrix[i, j] over a row-major matrix[rows×columns] (or sums[j] += … when accumulating), adding
    /// the rows in order, so each sum is the same float sum as the scalar reference.
    /// </summary>
    public static void SumColumns(ReadOnlySpan<float> matrix, int rows, int columns, Span<float> sums, bool accumulate = false)
    {
        RequireMatrix(matrix.Length, rows, columns);
        RequireSameLength(columns, sums.Length, nameof(sums), "columns");
        if (!accumulate)
        {
            sums.Clear();
        }

        for (int i = 0; i < rows; i++)
        {
            AddInto(matrix.Slice(i * columns, columns), sums);
        }
    }

    /// <summary>sums[i] = Σ_j matrix[i, j] over a row-major matrix[rows×columns], each row summed in float.</summary>
    public static void SumRows(ReadOnlySpan<float> matrix, int rows, int columns, Span<float> sums)
    {
        RequireMatrix(matrix.Length, rows, columns);
        RequireSameLength(rows, sums.Length, nameof(sums), "rows");
        for (int i = 0; i < rows; i++)
        {
            sums[i] = SumOf(matrix.Slice(i * columns, columns));
        }
    }

    /// <summary>target[j] += source[j].</summary>
    private static void AddInto(ReadOnlySpan<float> source, Span<float> target)
    {
        ref float s = ref MemoryMarshal.GetReference(source);
        ref float t = ref MemoryMarshal.GetReference(target);
        int j = 0, length = source.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= length - 16; j += 16)
            {
                (Vector512.LoadUnsafe(ref t, (nuint)j) + Vector512.LoadUnsafe(ref s, (nuint)j)).StoreUnsafe(ref t, (nuint)j);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= length - 8; j += 8)
            {
                (Vector256.LoadUnsafe(ref t, (nuint)j) + Vector256.LoadUnsafe(ref s, (nuint)j)).StoreUnsafe(ref t, (nuint)j);
            }
        }

        for (; j < length; j++)
        {
            Unsafe.Add(ref t, j) += Unsafe.Add(ref s, j);
        }
    }

    /// <summary>A float sum with one vector of partial sums (lane order fixed by the vector width), then the tail.</summary>
    private static float SumOf(ReadOnlySpan<float> values)
    {
        ref float s = ref MemoryMarshal.GetReference(values);
        int j = 0, length = values.Length;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && length >= 16)
        {
            Vector512<float> partial = Vector512<float>.Zero;
            for (; j <= length - 16; j += 16)
            {
                partial += Vector512.LoadUnsafe(ref s, (nuint)j);
            }

            sum = Vector512.Sum(partial);
        }
        else if (Vector256.IsHardwareAccelerated && length >= 8)
        {
            Vector256<float> partial = Vector256<float>.Zero;
            for (; j <= length - 8; j += 8)
            {
                partial += Vector256.LoadUnsafe(ref s, (nuint)j);
            }

            sum = Vector256.Sum(partial);
        }

        for (; j < length; j++)
        {
            sum += Unsafe.Add(ref s, j);
        }

        return sum;
    }

    internal static void RequireMatrix(int length, int rows, int columns)
    {
        if (rows < 0 || columns < 0)
        {
            throw new ArgumentOutOfRangeException(rows < 0 ? nameof(rows) : nameof(columns),
                $"rows ({rows}) and columns ({columns}) must be zero or positive.");
        }

        if (length < (long)rows * columns)
        {
            throw new ArgumentException(
                $"matrix holds {length} floats but {rows}×{columns} needs {(long)rows * columns}.", "matrix");
        }
    }

    internal static void RequireSameLength(int expected, int actual, string name, string what)
    {
        if (expected != actual)
        {
            throw new ArgumentException($"{name} has length {actual} but must match {what} ({expected}).", name);
        }
    }
}
