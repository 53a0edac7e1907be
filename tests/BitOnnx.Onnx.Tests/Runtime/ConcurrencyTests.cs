using BitOnnx.Onnx.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>Run on one session from many threads at once: every call gets its own correct answer.</summary>
[TestClass]
public class ConcurrencyTests
{
    /// <summary>8 threads × 500 Run calls on one InferenceSession with our defaults, each with its own input, each checked.</summary>
    [TestMethod]
    [Timeout(60_000)]
    public void ConcurrentRunsOnOneSessionAllProduceTheirOwnCorrectOutputs()
    {
        const int threads = 8, runsPerThread = 500, m = 2, k = 16, n = 8;
        var w = TestData.Floats(k * n, seed: 41);
        var b = TestData.Floats(n, seed: 42);
        using var options = SessionRunner.Options(GraphOptimizationLevel.ORT_ENABLE_ALL);
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

    /// <summary>ModelSession.Run from 8 threads, each on its own rows, each answer checked against (a + b) mod P.</summary>
    [TestMethod]
    [Timeout(60_000)]
    public void ModelSessionRunsFromManyThreadsAnswerTheirOwnRows()
    {
        const int p = 13;
        using var session = ModelSession.FromModel(TestModels.ExactModularAddition(p), "exact", new ModelSessionOptions { Threads = 1, BatchSize = 5 });
        int wrong = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, thread =>
        {
            var random = new Random(thread);
            for (int run = 0; run < 200; run++)
            {
                int rows = 1 + random.Next(12);
                var tokens = new long[rows * 3];
                for (int r = 0; r < rows; r++) (tokens[3 * r], tokens[3 * r + 1], tokens[3 * r + 2]) = (random.Next(p), random.Next(p), p);
                var logits = session.Run(tokens)["logits"];
                for (int r = 0; r < rows; r++)
                    if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Row(r)) != (tokens[3 * r] + tokens[3 * r + 1]) % p) Interlocked.Increment(ref wrong);
            }
        });
        Assert.AreEqual(0, wrong);
    }
}
