using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>The row split on the engine's workers: every row once, nesting safe, and the residual add.</summary>
[TestClass]
public sealed class ParallelRowsTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(5)]
    public void EveryRowIsVisitedOnceEvenWhenARowStartsParallelWorkOfItsOwn(int threads)
    {
        const int rows = 640, inner = 300;
        var visits = new int[rows * inner];
        var products = new float[rows][];
        var a = Enumerable.Range(0, 64 * 64).Select(i => (float)(i % 7) - 3f).ToArray();
        var expected = new float[64 * 64];
        GemmReference.Multiply(a, a, expected, 64, 64, 64);
        ParallelRows.For(rows, threads, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                // A nested row loop and a nested product: they run on this thread, not on the busy workers.
                ParallelRows.For(inner, threads, (s, e) =>
                {
                    for (var i = s; i < e; i++) Interlocked.Increment(ref visits[(r * inner) + i]);
                }, minRowsPerWorker: 1);
                if (r % 160 == 0)
                {
                    products[r] = new float[64 * 64];
                    Gemm.Multiply(a, a, products[r], 64, 64, 64, threads: threads);
                }
            }
        }, minRowsPerWorker: 1);
        Assert.IsTrue(visits.All(v => v == 1), "every (row, inner row) once");
        foreach (var product in products.Where(p => p is not null))
            CollectionAssert.AreEqual(expected, product, "small integers: the product is exact in any order");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void AddSumsEveryElement(int threads)
    {
        const int rows = 301, width = 7;
        var x = Enumerable.Range(0, rows * width).Select(i => i * 0.5f).ToArray();
        var y = Enumerable.Range(0, rows * width).Select(i => -0.25f * i + 1f).ToArray();
        var sum = new float[rows * width];
        ParallelRows.Add(x, y, sum, width, threads);
        for (var i = 0; i < sum.Length; i++) Assert.AreEqual(x[i] + y[i], sum[i], $"element {i}");
        Assert.ThrowsException<ArgumentException>(() => ParallelRows.Add(x, y, new float[5], width, threads));
        Assert.ThrowsException<ArgumentException>(() => ParallelRows.Add(x, y, sum, 6, threads));
    }
}
