using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

[TestClass]
public sealed class GemmReferenceTests
{
    // A = [1 2 3; 4 5 6], B = [7 8; 9 10; 11 12]; by hand:
    // C = [1·7+2·9+3·11  1·8+2·10+3·12; 4·7+5·9+6·11  4·8+5·10+6·12] = [58 64; 139 154].
    private static readonly float[] A = [1, 2, 3, 4, 5, 6];
    private static readonly float[] B = [7, 8, 9, 10, 11, 12];
    private static readonly float[] Product = [58, 64, 139, 154];

    [TestMethod]
    public void TwoByThreeTimesThreeByTwoMatchesHandComputedProduct()
    {
        var c = new float[4];
        GemmReference.Multiply(A, B, c, 2, 2, 3);
        CollectionAssert.AreEqual(Product, c);
    }

    [TestMethod]
    public void TransposedStorageGivesTheSameProduct()
    {
        float[] aStoredTransposed = [1, 4, 2, 5, 3, 6];   // Aᵀ, 3×2
        float[] bStoredTransposed = [7, 9, 11, 8, 10, 12]; // Bᵀ, 2×3
        foreach ((bool ta, bool tb) in new[] { (true, false), (false, true), (true, true) })
        {
            var c = new float[4];
            GemmReference.Multiply(ta ? aStoredTransposed : A, tb ? bStoredTransposed : B, c, 2, 2, 3, ta, tb);
            CollectionAssert.AreEqual(Product, c, $"transposeA={ta} transposeB={tb}");
        }
    }

    [TestMethod]
    public void AccumulateAddsToExistingC()
    {
        float[] c = [1, -2, 0.5f, 100];
        GemmReference.Multiply(A, B, c, 2, 2, 3, accumulate: true);
        CollectionAssert.AreEqual(new float[] { 59, 62, 139.5f, 254 }, c);
    }

    [TestMethod]
    public void ZeroDepthWritesZerosOrKeepsC()
    {
        float[] c = [3, 4];
        GemmReference.Multiply([], [], c, 1, 2, 0, accumulate: true);
        CollectionAssert.AreEqual(new float[] { 3, 4 }, c);
        GemmReference.Multiply([], [], c, 1, 2, 0);
        CollectionAssert.AreEqual(new float[] { 0, 0 }, c);
    }
}
