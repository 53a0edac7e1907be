using System.Diagnostics;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Runtime.Tests;

/// <summary>Native objects are released: many create/run/dispose cycles leave memory flat.</summary>
[TestClass]
[DoNotParallelize]
public class LifetimeTests
{
    private const int Width = 4096;
    private const double BoundMiB = 24;

    /// <summary>
    /// 10,000 cycles of session + input + Run + outputs, all disposed; the first 3,000 let caches reach their size.
    /// Memory is sampled every 100 cycles over cycles 3,000-3,500 and 9,500-10,000 and the lowest sample of each
    /// window kept, because the C heap wanders by several MiB (the runtime's JIT and caches also use malloc; 40,000
    /// cycles stayed within 13-22 MiB). Between the windows, a leaked session (graph, kernels, arena) or a leaked
    /// 16 KiB output would add 94 MiB or more to the C heap, and a leaked pinned 16 KiB input as much to the managed
    /// heap; the bound is 24 MiB.
    /// </summary>
    [TestMethod]
    [Timeout(120_000)]
    public void CreateRunDisposeCycles_KeepNativeAndManagedMemoryFlat()
    {
        if (!NativeHeap.IsAvailable) Assert.Inconclusive("glibc mallinfo2 is not available to measure the C heap.");
        byte[] model = TestModels.AddConstant(Width, 1f);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };

        Cycle(model, options, 0, 3000);
        var (nativeBefore, managedBefore) = LowestSample(model, options, 3000);
        var stopwatch = Stopwatch.StartNew();
        Cycle(model, options, 3500, 6000);
        var (nativeAfter, managedAfter) = LowestSample(model, options, 9500);

        double nativeGrowth = (nativeAfter - nativeBefore) / 1048576.0;
        double managedGrowth = (managedAfter - managedBefore) / 1048576.0;
        Console.WriteLine(
            $"10,000 cycles ({stopwatch.Elapsed.TotalSeconds:F1} s for the last 6,500): C heap {nativeBefore / 1048576.0:F2} -> " +
            $"{nativeAfter / 1048576.0:F2} MiB, managed heap {managedBefore / 1048576.0:F2} -> {managedAfter / 1048576.0:F2} MiB");
        Assert.IsTrue(nativeGrowth < BoundMiB, $"C heap grew by {nativeGrowth:F2} MiB over 6,000 cycles");
        Assert.IsTrue(managedGrowth < BoundMiB, $"managed heap grew by {managedGrowth:F2} MiB over 6,000 cycles");
    }

    private static void Cycle(byte[] model, SessionOptions options, int first, int count)
    {
        for (int c = first; c < first + count; c++)
        {
            // A fresh input array each cycle: a leaked pin would keep every one of them alive.
            var input = new float[Width];
            input[Width - 1] = c;
            using var session = new InferenceSession(model, options);
            using var x = OrtValue.CreateTensorValueFromMemory(input, [1, Width]);
            using var outputs = session.Run(new Dictionary<string, OrtValue> { ["x"] = x });
            float last = outputs[0].GetTensorDataAsSpan<float>()[Width - 1];
            if (last != c + 1) Assert.Fail($"cycle {c}: y[last] = {last}, expected {c + 1}");
        }
    }

    private static (long Native, long Managed) LowestSample(byte[] model, SessionOptions options, int first)
    {
        var lowest = (Native: long.MaxValue, Managed: long.MaxValue);
        for (int window = 0; window < 5; window++)
        {
            Cycle(model, options, first + window * 100, 100);
            var (native, managed) = Measure();
            lowest = (Math.Min(lowest.Native, native), Math.Min(lowest.Managed, managed));
        }

        return lowest;
    }

    private static (long Native, long Managed) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return (NativeHeap.BytesInUse(), GC.GetTotalMemory(forceFullCollection: true));
    }
}
