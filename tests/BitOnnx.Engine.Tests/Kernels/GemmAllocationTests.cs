using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

[TestClass]
public sealed class GemmAllocationTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void RepeatedProducts_AllocateNothing(int threads)
    {
        // After the first call has sized this thread's packing workspace (and started the workers), the hot path
        // must not allocate: the training loop calls it thousands of times.
        var problem = new GemmProblem(300, 200, 150, true, false, false, seed: 9);
        var c = new float[300 * 200];
        Gemm.Multiply(problem.A, problem.B, c, 300, 200, 150, transposeA: true, threads: threads);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            Gemm.Multiply(problem.A, problem.B, c, 300, 200, 150, transposeA: true, threads: threads);
        }

        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
