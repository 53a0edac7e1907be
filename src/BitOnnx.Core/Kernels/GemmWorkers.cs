using System.Runtime.ExceptionServices;

namespace BitOnnx.Core.Kernels;

/// <summary>
/// Persistent background threads that run the parts of one product beside the calling thread, which always runs
/// part 0. A hand-off is two events per worker, no allocation and no thread-pool queueing, which matters when a
/// product takes well under a millisecond. One product uses the workers at a time; a caller that finds them busy
/// runs all parts itself, which gives the same bits because the parts never share an output element.
/// </summary>
internal static unsafe class GemmWorkers
{
    /// <summary>How long a waiting worker or caller spins before it blocks: long enough to bridge back-to-back products.</summary>
    private const int SpinCount = 2000;

    private static readonly object Gate = new();
    private static Worker[] workers = [];
    private static delegate*<in GemmJob, int, void> body;
    private static GemmJob job;

    /// <summary>Runs <paramref name="run"/>(job, part) for part = 0..parts-1 and returns when all have finished.</summary>
    public static void Run(delegate*<in GemmJob, int, void> run, in GemmJob product, int parts)
    {
        if (parts == 1 || !Monitor.TryEnter(Gate))
        {
            for (int part = 0; part < parts; part++)
            {
                run(product, part);
            }

            return;
        }

        try
        {
            EnsureWorkers(parts - 1);
            body = run;
            job = product;
            for (int part = 1; part < parts; part++)
            {
                workers[part - 1].Start(part);
            }

            Exception? failure = null;
            try
            {
                run(job, 0);
            }
            catch (Exception e)
            {
                failure = e;
            }

            for (int part = 1; part < parts; part++)
            {
                failure ??= workers[part - 1].WaitUntilDone();
            }

            if (failure is not null)
            {
                ExceptionDispatchInfo.Throw(failure);
            }
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static void EnsureWorkers(int count)
    {
        if (workers.Length >= count)
        {
            return;
        }

        var grown = new Worker[count];
        Array.Copy(workers, grown, workers.Length);
        for (int i = workers.Length; i < count; i++)
        {
            grown[i] = new Worker(i + 1);
        }

        workers = grown;
    }

    private sealed class Worker
    {
        private readonly ManualResetEventSlim started = new(false, SpinCount);
        private readonly ManualResetEventSlim finished = new(false, SpinCount);
        private int part;
        private Exception? failure;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"BitOnnx GEMM worker {index}" };
            thread.Start();
        }

        public void Start(int assignedPart)
        {
            part = assignedPart;
            failure = null;
            started.Set();
        }

        public Exception? WaitUntilDone()
        {
            finished.Wait();
            finished.Reset();
            return failure;
        }

        private void Loop()
        {
            while (true)
            {
                started.Wait();
                started.Reset();
                try
                {
                    body(job, part);
                }
                catch (Exception e)
                {
                    failure = e;
                }

                finished.Set();
            }
        }
    }
}
