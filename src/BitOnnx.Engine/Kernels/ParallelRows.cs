using System.Numerics.Tensors;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Splits independent rows over the engine's workers (<see cref="EngineWorkers"/>). Each row is computed by exactly
/// one worker with the same arithmetic whatever the worker count, so results are bit-identical for any thread count.
/// </summary>
public static class ParallelRows
{
    /// <summary>Fewer rows than this per worker are not worth a thread hop.</summary>
    public const int MinRowsPerWorker = 64;

    /// <summary>Calls <paramref name="body"/>(start, end) on contiguous ranges covering 0..rows, at most one per worker.</summary>
    public static void For(int rows, int threads, Action<int, int> body, int minRowsPerWorker = MinRowsPerWorker)
    {
        var workers = Math.Min(threads, Math.Max(1, rows / minRowsPerWorker));
        if (workers <= 1)
        {
            body(0, rows);
            return;
        }
        EngineWorkers.Run(w =>
        {
            var start = (int)((long)rows * w / workers);
            var end = (int)((long)rows * (w + 1) / workers);
            body(start, end);
        }, workers);
    }

    /// <summary>
    /// sum = x + y over rows of <paramref name="rowLength"/> floats, the rows split over workers: a residual add is
    /// memory-bound, and two cores keep more of its cache misses in flight than one.
    /// </summary>
    public static void Add(float[] x, float[] y, float[] sum, int rowLength, int threads)
    {
        if (x.Length != y.Length || x.Length != sum.Length || rowLength <= 0 || x.Length % rowLength != 0)
            throw new ArgumentException($"x, y and sum must be the same whole number of {rowLength}-float rows ({x.Length}, {y.Length}, {sum.Length} floats).");
        For(x.Length / rowLength, threads, (start, end) =>
        {
            var range = (start * rowLength)..(end * rowLength);
            TensorPrimitives.Add(x.AsSpan(range), y.AsSpan(range), sum.AsSpan(range));
        });
    }
}
