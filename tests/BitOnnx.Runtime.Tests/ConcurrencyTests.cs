using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Runtime.Tests;

[TestClass]
public class ConcurrencyTests
{
    /// <summary>8 threads × 1,000 Run calls on one session, each with its own input; every output is checked.</summary>
    [TestMethod]
    [Timeout(60_000)]
    public void ConcurrentRuns_OnOneSession_AllProduceTheirOwnCorrectOutputs()
    {
        const int threads = 8;
        const int runsPerThread = 1000;
        const int m = 2, k = 16, n = 8;
        var w = TestData.Floats(k * n, seed: 41);
        var b = TestData.Floats(n, seed: 42);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(TestModels.MatMulAdd(w, b, k, n), options);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int checkedRuns = 0;

        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
        {
            var random = new Random(1000 + thread);
            var x = new float[m * k];
            for (int run = 0; run < runsPerThread; run++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1) + thread;
                var y = SessionRunner.RunFloat(session, x, m, k);
                var expected = ScalarReference.MatMulAdd(x, w, b, m, k, n);
                var scale = ScalarReference.AbsMatMul(x, w, m, k, n);
                for (int i = 0; i < y.Length; i++)
                {
                    if (Math.Abs(y[i] - expected[i]) > 1e-5 * scale[i] + 1e-6)
                    {
                        failures.Enqueue($"thread {thread} run {run} element {i}: {y[i]} vs {expected[i]}");
                        break;
                    }
                }

                Interlocked.Increment(ref checkedRuns);
            }
        });

        Assert.AreEqual(0, failures.Count, string.Join("\n", failures.Take(5)));
        Assert.AreEqual(threads * runsPerThread, checkedRuns);
    }

    /// <summary>
    /// One input value shared by 8 threads; it is an ORT output, so its type and shape are read lazily by whichever
    /// thread checks it first. Every run must still see a float tensor and give the same result.
    /// </summary>
    [TestMethod]
    [Timeout(60_000)]
    public void SharedInputValue_UsedFromManyThreads_IsCheckedAndReadCorrectly()
    {
        using var addOne = new InferenceSession(TestModels.AddConstant(8, 1f));
        using var seed = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, 8).Select(i => (float)i).ToArray(), [1, 8]);
        using var produced = addOne.Run(new Dictionary<string, OrtValue> { ["x"] = seed });
        var shared = produced[0];
        var expected = Enumerable.Range(0, 8).Select(i => i + 2f).ToArray();
        int mismatches = 0;

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (int run = 0; run < 200; run++)
            {
                using var outputs = addOne.Run(new Dictionary<string, OrtValue> { ["x"] = shared });
                if (!outputs[0].GetTensorDataAsSpan<float>().SequenceEqual(expected)) Interlocked.Increment(ref mismatches);
            }
        });

        Assert.AreEqual(0, mismatches);
    }
}
