using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>The 8×8-block transposing pack against the plain loop, on whole and ragged panels.</summary>
[TestClass]
public sealed unsafe class TransposedBPackingTests
{
    [TestMethod]
    public void Pack_PutsEveryFloatWhereThePlainLoopDoes()
    {
        var random = new Random(7);
        foreach (int kernelColumns in new[] { 32, 16, 4 })
        {
            foreach ((int columns, int kc, int k) in new[] { (32, 256, 300), (17, 113, 113), (8, 8, 8), (3, 5, 9), (kernelColumns, 129, 140), (1, 1, 1) })
            {
                if (columns > kernelColumns)
                {
                    continue;
                }

                float[] source = Enumerable.Range(0, columns * k).Select(_ => (float)random.NextDouble()).ToArray();
                float[] fast = Enumerable.Repeat(float.NaN, (kc + 1) * kernelColumns).ToArray();
                float[] plain = (float[])fast.Clone();
                fixed (float* s = source, f = fast, q = plain)
                {
                    TransposedBPacking.Pack(s, k, kc, columns, kernelColumns, f);
                    TransposedBPacking.PackReference(s, k, kc, columns, kernelColumns, q);
                }

                string where = $"columns {columns}, kc {kc}, k {k}, panel width {kernelColumns}";
                CollectionAssert.AreEqual(plain, fast, where);
                Assert.AreEqual(source[((columns - 1) * k) + kc - 1], fast[((kc - 1) * kernelColumns) + columns - 1], where);
                Assert.IsTrue(float.IsNaN(fast[kc * kernelColumns]), $"{where}: nothing written past the panel");
            }
        }
    }
}
