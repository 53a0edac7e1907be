using BitOnnx.Analysis.Fourier;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class FourierBasisTests
{
    [DataTestMethod]
    [DataRow(113)]
    [DataRow(7)]
    [DataRow(2)]
    [DataRow(8)]
    [DataRow(10)]
    [DataRow(64)]
    public void BasisHasExactlyPOrthonormalRows(int p)
    {
        var f = new FourierBasis(p);
        Assert.AreEqual(p * p, f.Matrix.Length, "F must be P x P (Li's notebook has 115 rows for P = 113; we must not).");
        for (int r = 0; r < p; r++)
            for (int s = 0; s < p; s++)
            {
                double dot = 0;
                for (int x = 0; x < p; x++) dot += f[r, x] * f[s, x];
                Assert.AreEqual(r == s ? 1.0 : 0.0, dot, 1e-12, $"<row {r}, row {s}> for P = {p}");
            }
    }

    [TestMethod]
    public void RowsAreConstantThenCosAndSinOfEachFrequency()
    {
        const int p = 13;
        var f = new FourierBasis(p);
        Assert.AreEqual(6, f.FrequencyCount);
        for (int k = 1; k <= 6; k++)
        {
            var rows = f.RowsOf(k);
            CollectionAssert.AreEqual(new[] { 2 * k - 1, 2 * k }, rows);
            for (int x = 0; x < p; x++)
            {
                Assert.AreEqual(Math.Cos(2 * Math.PI * k * x / p) * Math.Sqrt(2.0 / p), f[rows[0], x], 1e-12);
                Assert.AreEqual(Math.Sin(2 * Math.PI * k * x / p) * Math.Sqrt(2.0 / p), f[rows[1], x], 1e-12);
            }
        }
        for (int x = 0; x < p; x++) Assert.AreEqual(1 / Math.Sqrt(p), f[0, x], 1e-12);
        Assert.AreEqual("const", f.RowName(0));
        Assert.AreEqual("cos 3", f.RowName(5));
        Assert.AreEqual("sin 3", f.RowName(6));
    }

    [TestMethod]
    public void EvenPPutsTheNyquistCosineInTheLastRowAlone()
    {
        const int p = 10;
        var f = new FourierBasis(p);
        Assert.AreEqual(5, f.FrequencyCount);
        CollectionAssert.AreEqual(new[] { 9 }, f.RowsOf(5));
        Assert.AreEqual("cos 5", f.RowName(9));
        for (int x = 0; x < p; x++) Assert.AreEqual((x % 2 == 0 ? 1 : -1) / Math.Sqrt(p), f[9, x], 1e-12);
    }
}
