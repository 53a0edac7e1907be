namespace BitOnnx.Analysis.ClockPizza;

/// <summary>
/// Gradients of a batched vector function by central differences in double: ∂f_o/∂x_i ≈ (f_o(x + h·e_i) −
/// f_o(x − h·e_i)) / 2h, error O(h²) for smooth f. All 2·n perturbed inputs go through the function in batches,
/// so one call yields the gradient of every output at once.
/// </summary>
public static class CentralDifferences
{
    /// <summary>
    /// Gradients at <paramref name="x0"/> of every output of <paramref name="f"/> with respect to the coordinates
    /// listed, as [output, coordinate]. <paramref name="f"/> maps (inputs [batch, x0.Length], batch) to [batch, outputs].
    /// </summary>
    public static double[] Gradients(Func<double[], int, double[]> f, double[] x0, IReadOnlyList<int> coordinates,
        double step, out int outputs, int maxBatch = 4096)
    {
        if (step <= 0 || double.IsNaN(step)) throw new ArgumentOutOfRangeException(nameof(step), step, "Step must be positive.");
        int n = x0.Length, m = coordinates.Count;
        int perCall = Math.Max(1, maxBatch / 2);
        double[]? grad = null;
        outputs = 0;
        for (int i0 = 0; i0 < m; i0 += perCall)
        {
            int count = Math.Min(perCall, m - i0);
            var batch = new double[2 * count * n];
            for (int j = 0; j < count; j++)
            {
                int coord = coordinates[i0 + j];
                var plus = batch.AsSpan(2 * j * n, n);
                var minus = batch.AsSpan((2 * j + 1) * n, n);
                x0.CopyTo(plus);
                x0.CopyTo(minus);
                plus[coord] += step;
                minus[coord] -= step;
            }
            var y = f(batch, 2 * count);
            if (y.Length % (2 * count) != 0)
                throw new InvalidOperationException($"The function returned {y.Length} values for a batch of {2 * count}.");
            int o = y.Length / (2 * count);
            if (grad is null)
            {
                outputs = o;
                grad = new double[o * m];
            }
            else if (o != outputs)
            {
                throw new InvalidOperationException($"The function returned {o} outputs per row, earlier {outputs}.");
            }
            for (int j = 0; j < count; j++)
                for (int k = 0; k < o; k++)
                    grad[k * m + i0 + j] = (y[2 * j * o + k] - y[(2 * j + 1) * o + k]) / (2 * step);
        }
        return grad ?? [];
    }
}
