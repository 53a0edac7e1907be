using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>Each micro-kernel this machine can run (not only the one <see cref="Gemm"/> picks) against the reference.</summary>
[TestClass]
public sealed class GemmKernelTests
{
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (3, 5, 2), (4, 4, 4), (6, 16, 9), (7, 17, 33), (12, 32, 256), (13, 33, 257),
        (25, 65, 300), (113, 129, 17), (50, 530, 8), (531, 7, 20),
    ];

    [TestMethod]
    public void ScalarKernelMatchesReference() => AssertKernelMatchesReference<ScalarMicroKernel>();

    [TestMethod]
    public void Avx2KernelMatchesReference()
    {
        if (!Avx2MicroKernel.IsSupported)
        {
            Assert.Inconclusive("This machine has no AVX2 + FMA.");
        }

        AssertKernelMatchesReference<Avx2MicroKernel>();
    }

    [TestMethod]
    public void Avx512KernelMatchesReference()
    {
        if (!Avx512MicroKernel.IsSupported)
        {
            Assert.Inconclusive("This machine has no accelerated AVX-512.");
        }

        AssertKernelMatchesReference<Avx512MicroKernel>();
    }

    [TestMethod]
    public void DispatchPicksTheWidestSupportedKernel()
    {
        string expected = Avx512MicroKernel.IsSupported ? "avx512" : Avx2MicroKernel.IsSupported ? "avx2" : "scalar";
        Assert.AreEqual(expected, Gemm.KernelName);
    }

    /// <summary>The partition the product of <paramref name="shape"/> runs with, turned round where it is computed so.</summary>
    internal static GemmPartition PlanForThisMachine(GemmShape shape, int threads)
    {
        shape = GemmOrientation.ComputesTransposed(shape) ? GemmOrientation.Transposed(shape) : shape;
        return Avx512MicroKernel.IsSupported ? GemmPartition.Plan(shape, Avx512MicroKernel.Rows, Avx512MicroKernel.Columns, threads)
            : Avx2MicroKernel.IsSupported ? GemmPartition.Plan(shape, Avx2MicroKernel.Rows, Avx2MicroKernel.Columns, threads)
            : GemmPartition.Plan(shape, ScalarMicroKernel.Rows, ScalarMicroKernel.Columns, threads);
    }

    private static void AssertKernelMatchesReference<TKernel>()
        where TKernel : struct, IGemmMicroKernel
    {
        int seed = 1000;
        foreach ((int m, int n, int k) in Shapes)
        {
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    var problem = new GemmProblem(m, n, k, ta, tb, accumulate: (seed & 1) == 0, seed++);
                    foreach (int threads in new[] { 1, 3 })
                    {
                        problem.AssertMatchesReference(GemmDeterminismTests.RunWith<TKernel>(problem, threads),
                            $"{typeof(TKernel).Name}, threads={threads}");
                    }
                }
            }
        }
    }
}
