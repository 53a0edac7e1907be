using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Tests.Kernels;

[TestClass]
public sealed unsafe class SmallVectorsTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    [DataRow(8)]
    [DataRow(16)]
    [DataRow(31)]
    [DataRow(32)]
    [DataRow(47)]
    public void FastMatchesScalarReference(int n)
    {
        var random = new Random(n);
        var a = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var y1 = (float[])b.Clone();
        var y2 = (float[])b.Clone();
        fixed (float* pa = a, pb = b, p1 = y1, p2 = y2)
        {
            Assert.AreEqual(SmallVectorsReference.Dot(pa, pb, n), SmallVectors.Dot(pa, pb, n), 1e-5f * n);
            SmallVectors.Axpy(p1, pa, 0.75f, n);
            SmallVectorsReference.Axpy(p2, pa, 0.75f, n);
        }
        for (var i = 0; i < n; i++) Assert.AreEqual(y2[i], y1[i], 1e-6f);
        Assert.AreEqual(a.Zip(b, (x, z) => (double)x * z).Sum(), SmallVectorsReference_Dot(a, b), 1e-5);
    }

    private static float SmallVectorsReference_Dot(float[] a, float[] b)
    {
        fixed (float* pa = a, pb = b) return SmallVectorsReference.Dot(pa, pb, a.Length);
    }
}
