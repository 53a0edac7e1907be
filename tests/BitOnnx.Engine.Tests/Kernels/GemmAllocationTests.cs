using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

[TestClass]
public sealed class GemmAllocationTests
{
    [TestMethod]
    [DataRow(1, 300, 200, 150)]
    [DataRow(2, 300, 200, 150)]
    [DataRow(1, 300, 40, 1100)] // computed transposed, through the second scratch area
    [DataRow(2, 300, 40, 1100)]
    public void RepeatedProducts_AllocateNothing(int threads, int m, int n, int k)
    {
        // After the first call has sized this thread's scratch (and started the workers), the hot path must not
        // allocate: the training loop calls it thousands of times.
        var problem = new GemmProblem(m, n, k, true, false, false, seed: 9);
        var c = new float[m * n];
        Gemm.Multiply(problem.A, problem.B, c, m, n, k, transposeA: true, threads: threads);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            Gemm.Multiply(problem.A, problem.B, c, m, n, k, transposeA: true, threads: threads);
        }

        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
