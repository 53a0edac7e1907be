using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>
/// The fast paths against their scalar twins, bit for bit (the twins follow the same lanes and tree), and the twins
/// against a plain sum in double. On an AVX-512 machine this checks the 512-bit path; with DOTNET_EnableAVX512=0 (or
/// on an AVX2-only machine) the two 256-bit halves: both must equal the one scalar order.
/// </summary>
[TestClass]
public sealed unsafe class SmallVectorsTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    [DataRow(8)]
    [DataRow(15)]
    [DataRow(16)]
    [DataRow(31)]
    [DataRow(32)]
    [DataRow(47)]
    [DataRow(128)]
    public void FastMatchesScalarReferenceBitForBit(int n)
    {
        var random = new Random(n);
        var a = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var y1 = (float[])b.Clone();
        var y2 = (float[])b.Clone();
        fixed (float* pa = a, pb = b, p1 = y1, p2 = y2)
        {
            Assert.AreEqual(SmallVectorsReference.Dot(pa, pb, n), SmallVectors.Dot(pa, pb, n));
            SmallVectors.Axpy(p1, pa, 0.75f, n);
            SmallVectorsReference.Axpy(p2, pa, 0.75f, n);
        }
        CollectionAssert.AreEqual(y2, y1);
        Assert.AreEqual(a.Zip(b, (x, z) => (double)x * z).Sum(), ReferenceDot(a, b), 1e-5);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    [DataRow(4)]
    [DataRow(113)]
    [DataRow(1000)]
    public void DoubleSumMatchesScalarReferenceBitForBit(int n)
    {
        var random = new Random(n);
        var x = Enumerable.Range(0, n).Select(_ => random.NextDouble() * Math.Pow(10, random.Next(-8, 8))).ToArray();
        Assert.AreEqual(SmallVectorsReference.Sum(x), SmallVectors.Sum(x));
        Assert.AreEqual(x.Sum(), SmallVectors.Sum(x), 1e-12 * x.Sum());
    }

    /// <summary>The lane order is what makes the result width-independent: it differs from a sequential sum.</summary>
    [TestMethod]
    public void DotAddsLanesAsATreeNotInSequence()
    {
        // 2^24 first, then 31 ones. In sequence every + 1 rounds back to 2^24 (ties to even). In lanes, lane 0 is still
        // 2^24 (its one 1 lost), lanes 1..15 hold 2 each and the tree adds them in pairs first: 2^24 + 30, exact.
        var a = new float[32];
        Array.Fill(a, 1f);
        a[0] = 16777216f;
        var ones = Enumerable.Repeat(1f, 32).ToArray();
        fixed (float* pa = a, pb = ones)
        {
            Assert.AreEqual(16777216f + 30f, SmallVectors.Dot(pa, pb, 32));
            Assert.AreEqual(16777216f + 30f, SmallVectorsReference.Dot(pa, pb, 32));
        }
    }

    private static float ReferenceDot(float[] a, float[] b)
    {
        fixed (float* pa = a, pb = b) return SmallVectorsReference.Dot(pa, pb, a.Length);
    }
}
