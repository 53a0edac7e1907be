using System.Runtime.ExceptionServices;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Persistent background threads that run the parts of one piece of parallel work (a product's bands, a layer's rows)
/// beside the calling thread, which always runs part 0. A hand-off is two events per worker, no allocation and no
/// thread-pool queueing, which matters when a part takes well under a millisecond. Products and row loops share these
/// threads: with the row loops on the thread pool instead, a pool thread and a GEMM worker, each spinning for its
/// next task, took turns on the same core (attention mixing at 2 threads took 1.1× as long).
/// Each part is claimed once, by its worker or, when that worker has not started it by the time the caller is done
/// with its own part (on a busy machine it may not have been scheduled yet), by the caller. One piece of work uses the
/// workers at a time; a caller that finds them busy, or is itself running a part, runs all parts itself. Who runs a part never changes its bits:
/// parts never share an output element, and every element is computed the same way by any thread.
/// </summary>
internal static unsafe class EngineWorkers
{
    /// <summary>How long a waiting worker or caller spins before it blocks: long enough to bridge back-to-back products.</summary>
    private const int SpinCount = 2000;

    private static readonly object Gate = new();
    private static Worker[] workers = [];
    private static delegate*<in GemmJob, int, void> body;
    private static GemmJob job;
    private static Action<int>? rowBody;

    /// <summary>Runs <paramref name="run"/>(job, part) for part = 0..parts-1 and returns when all have finished.</summary>
    public static void Run(delegate*<in GemmJob, int, void> run, in GemmJob product, int parts)
    {
        if (parts == 1 || !TryEnterGate())
        {
            for (int part = 0; part < parts; part++)
            {
                run(product, part);
            }

            return;
        }

        try
        {
            RunHoldingGate(run, product, parts);
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    /// <summary>Runs <paramref name="run"/>(part) for part = 0..parts-1 and returns when all have finished.</summary>
    public static void Run(Action<int> run, int parts)
    {
        if (parts == 1 || !TryEnterGate())
        {
            for (int part = 0; part < parts; part++)
            {
                run(part);
            }

            return;
        }

        try
        {
            rowBody = run;
            RunHoldingGate(&RunRowBody, default, parts);
        }
        finally
        {
            rowBody = null;
            Monitor.Exit(Gate);
        }
    }

    /// <summary>
    /// Takes the workers unless another thread holds them, or this one does: a part that starts parallel work of its
    /// own (a row loop whose rows multiply matrices) runs it on its own thread instead of re-entering the workers.
    /// </summary>
    private static bool TryEnterGate() => !Monitor.IsEntered(Gate) && Monitor.TryEnter(Gate);

    private static void RunRowBody(in GemmJob unused, int part) => rowBody!(part);

    private static void RunHoldingGate(delegate*<in GemmJob, int, void> run, in GemmJob product, int parts)
    {
        EnsureWorkers(parts - 1);
        body = run;
        job = product;
        for (int part = 1; part < parts; part++)
        {
            workers[part - 1].Start(part);
        }

        Exception? failure = RunCaught(run, 0);
        for (int part = 1; part < parts; part++)
        {
            if (workers[part - 1].TryClaim())
            {
                failure ??= RunCaught(run, part);
            }
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

    private static Exception? RunCaught(delegate*<in GemmJob, int, void> run, int part)
    {
        try
        {
            run(job, part);
            return null;
        }
        catch (Exception e)
        {
            return e;
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
        private int claimed;
        private Exception? failure;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"BitOnnx engine worker {index}" };
            thread.Start();
        }

        public void Start(int assignedPart)
        {
            part = assignedPart;
            failure = null;
            Volatile.Write(ref claimed, 0);
            started.Set();
        }

        /// <summary>Takes this worker's part for the calling thread if the worker has not begun it.</summary>
        public bool TryClaim() => Interlocked.CompareExchange(ref claimed, 1, 0) == 0;

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
                if (TryClaim())
                {
                    failure = RunCaught(body, part);
                }

                finished.Set();
            }
        }
    }
}
