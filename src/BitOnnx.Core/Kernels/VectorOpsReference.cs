namespace BitOnnx.Core.Kernels;

/// <summary>Plain scalar loops with the contracts of <see cref="VectorOps"/>: the references its tests compare against.</summary>
public static class VectorOpsReference
{
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        VectorOps.RequireSameLength(x.Length, y.Length, nameof(y), "x");
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] < 0f ? 0f : x[i];
        }
    }

    public static void ReluBackward(ReadOnlySpan<float> sign, ReadOnlySpan<float> dy, Span<float> dx)
    {
        VectorOps.RequireSameLength(sign.Length, dy.Length, nameof(dy), nameof(sign));
        VectorOps.RequireSameLength(sign.Length, dx.Length, nameof(dx), nameof(sign));
        for (int i = 0; i < sign.Length; i++)
        {
            dx[i] = sign[i] > 0f ? dy[i] : 0f;
        }
    }

    public static void SumColumns(ReadOnlySpan<float> matrix, int rows, int columns, Span<float> sums, bool accumulate = false)
    {
        VectorOps.RequireMatrix(matrix.Length, rows, columns);
        VectorOps.RequireSameLength(columns, sums.Length, nameof(sums), "columns");
        for (int j = 0; j < columns; j++)
        {
            float sum = accumulate ? sums[j] : 0f;
            for (int i = 0; i < rows; i++)
            {
                sum += matrix[(i * columns) + j];
            }

            sums[j] = sum;
        }
    }

    public static void SumRows(ReadOnlySpan<float> matrix, int rows, int columns, Span<float> sums)
    {
        VectorOps.RequireMatrix(matrix.Length, rows, columns);
        VectorOps.RequireSameLength(rows, sums.Length, nameof(sums), "rows");
        for (int i = 0; i < rows; i++)
        {
            float sum = 0f;
            for (int j = 0; j < columns; j++)
            {
                sum += matrix[(i * columns) + j];
            }

            sums[i] = sum;
        }
    }
}
