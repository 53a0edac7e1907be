using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>Bit-identical results whatever the thread count, the run, the kernel or concurrent callers.</summary>
[TestClass]
public sealed class GemmDeterminismTests
{
    [TestMethod]
    [DataRow(3831, 113, 128, false, false)]
    [DataRow(3831, 128, 113, false, true)]
    [DataRow(128, 113, 3831, true, false)]
    [DataRow(512, 128, 1000, true, false)]
    [DataRow(301, 517, 97, true, true)]
    [DataRow(1000, 100, 300, false, false)]
    public void ThreadCountsGiveBitIdenticalResults(int m, int n, int k, bool ta, bool tb)
    {
        foreach (bool accumulate in new[] { false, true })
        {
            var problem = new GemmProblem(m, n, k, ta, tb, accumulate, seed: m + n + k);
            float[] single = problem.Run(Gemm.Multiply, threads: 1);
            foreach (int threads in new[] { 2, 3, 4, 7 })
            {
                // The split must really happen for the comparison to mean something.
                var shape = new GemmShape(m, n, k, ta, tb, accumulate);
                Assert.AreEqual(threads, GemmKernelTests.PlanForThisMachine(shape, threads).Parts,
                    $"{problem} should split into {threads} parts");
                GemmProblem.AssertBitIdentical(single, problem.Run(Gemm.Multiply, threads), $"{problem}, threads={threads}");
            }

            GemmProblem.AssertBitIdentical(single, problem.Run(Gemm.Multiply, threads: 1), $"{problem}, rerun");
        }
    }

    [TestMethod]
    public void EveryKernelGivesTheSameBits()
    {
        // Each kernel computes every element as one fused multiply-add chain in k order, so with hardware FMA the
        // AVX-512, AVX2 and scalar kernels (different tiles, panels and blocking) must agree exactly.
        if (!ScalarMicroKernel.IsFused)
        {
            Assert.Inconclusive("No hardware FMA: the scalar kernel rounds products separately.");
        }

        var problems = new[]
        {
            new GemmProblem(67, 45, 300, false, false, true, 11),
            new GemmProblem(45, 67, 257, true, false, false, 12),
            new GemmProblem(29, 531, 33, false, true, true, 13),
            new GemmProblem(541, 19, 40, true, true, false, 14),
        };
        foreach (GemmProblem problem in problems)
        {
            float[] scalar = RunWith<ScalarMicroKernel>(problem, threads: 1);
            problem.AssertMatchesReference(scalar, "scalar kernel");
            if (Avx2MicroKernel.IsSupported)
            {
                GemmProblem.AssertBitIdentical(scalar, RunWith<Avx2MicroKernel>(problem, threads: 2), $"AVX2 kernel, {problem}");
            }

            if (Avx512MicroKernel.IsSupported)
            {
                GemmProblem.AssertBitIdentical(scalar, RunWith<Avx512MicroKernel>(problem, threads: 3), $"AVX-512 kernel, {problem}");
            }
        }
    }

    [TestMethod]
    public void ConcurrentCallersEachGetTheirOwnCorrectResult()
    {
        // Callers that find the worker threads busy compute alone; every caller must still get exact results.
        var problems = Enumerable.Range(0, 6)
            .Select(i => new GemmProblem(700 + i, 300, 64 + i, (i & 1) == 1, (i & 2) == 2, false, 100 + i))
            .ToArray();
        float[][] expected = problems.Select(p => p.Run(Gemm.Multiply, threads: 1)).ToArray();
        Parallel.For(0, problems.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            GemmProblem problem = problems[i % problems.Length];
            GemmProblem.AssertBitIdentical(expected[i % problems.Length], problem.Run(Gemm.Multiply, threads: 2),
                $"concurrent call {i}, {problem}");
        });
    }

    internal static float[] RunWith<TKernel>(GemmProblem problem, int threads)
        where TKernel : struct, IGemmMicroKernel
    {
        float[] c = (float[])problem.InitialC.Clone();
        var shape = GemmShape.Validate(problem.A, problem.B, c, problem.M, problem.N, problem.K,
            problem.TransposeA, problem.TransposeB, problem.Accumulate, threads);
        Gemm.Multiply<TKernel>(problem.A, problem.B, c, shape, threads);
        return c;
    }
}
