namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Splits independent rows over workers. Each row is computed by exactly one worker with the same arithmetic whatever
/// the worker count, so results are bit-identical for any thread count.
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
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var start = (int)((long)rows * w / workers);
            var end = (int)((long)rows * (w + 1) / workers);
            body(start, end);
        });
    }
}
