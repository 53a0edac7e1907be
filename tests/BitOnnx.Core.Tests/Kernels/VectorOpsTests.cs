using BitOnnx.Core.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Core.Tests.Kernels;

[TestClass]
public sealed class VectorOpsTests
{
    // Lengths around every vector width (4, 8, 16) and their tails.
    private static readonly int[] Lengths = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 113, 1000];

    [TestMethod]
    public void Relu_MatchesReferenceExactly_IncludingSpecialValues()
    {
        foreach (int length in Lengths)
        {
            float[] x = Values(length, seed: length);
            float[] fast = new float[length], reference = new float[length];
            VectorOps.Relu(x, fast);
            VectorOpsReference.Relu(x, reference);
            AssertBitIdentical(reference, fast, $"length {length}");
        }

        float[] special = [-0f, 0f, float.NaN, float.NegativeInfinity, float.PositiveInfinity, -1e-45f, 2f, -3f, .. new float[16]];
        var result = new float[special.Length];
        VectorOps.Relu(special, result);
        Assert.IsTrue(float.IsNaN(result[2]), "NaN must pass through");
        CollectionAssert.AreEqual(new[] { 0f, float.PositiveInfinity, 0f, 2f, 0f }, new[] { result[3], result[4], result[5], result[6], result[7] });
    }

    [TestMethod]
    public void Relu_InPlace_Works()
    {
        float[] x = Values(37, seed: 3);
        float[] expected = new float[37];
        VectorOpsReference.Relu(x, expected);
        VectorOps.Relu(x, x);
        AssertBitIdentical(expected, x, "in place");
    }

    [TestMethod]
    public void ReluBackward_PassesGradientOnlyWherePositive()
    {
        foreach (int length in Lengths)
        {
            float[] sign = Values(length, seed: 100 + length), dy = Values(length, seed: 200 + length);
            float[] fast = new float[length], reference = new float[length];
            VectorOps.ReluBackward(sign, dy, fast);
            VectorOpsReference.ReluBackward(sign, dy, reference);
            AssertBitIdentical(reference, fast, $"length {length}");
            for (int i = 0; i < length; i++)
            {
                Assert.AreEqual(sign[i] > 0 ? dy[i] : 0f, fast[i]);
            }
        }
    }

    [TestMethod]
    public void SumColumns_MatchesReferenceExactly()
    {
        foreach ((int rows, int columns) in new[] { (1, 1), (3, 17), (113, 128), (50, 33), (0, 5), (7, 0) })
        {
            foreach (bool accumulate in new[] { false, true })
            {
                float[] matrix = Values(rows * columns, seed: rows + columns);
                float[] fast = Values(columns, seed: 7), reference = (float[])fast.Clone();
                VectorOps.SumColumns(matrix, rows, columns, fast, accumulate);
                VectorOpsReference.SumColumns(matrix, rows, columns, reference, accumulate);
                AssertBitIdentical(reference, fast, $"{rows}×{columns}, accumulate={accumulate}");
            }
        }
    }

    [TestMethod]
    public void SumRows_MatchesReferenceWithinFloatBound()
    {
        foreach ((int rows, int columns) in new[] { (1, 1), (3, 17), (113, 128), (5, 1000), (4, 0) })
        {
            float[] matrix = Values(rows * columns, seed: 11 * rows + columns);
            float[] fast = new float[rows], reference = new float[rows];
            VectorOps.SumRows(matrix, rows, columns, fast);
            VectorOpsReference.SumRows(matrix, rows, columns, reference);
            for (int i = 0; i < rows; i++)
            {
                // Any two float summation orders of n terms differ by at most 2·γ(n)·Σ|x| (Higham §4.2).
                double magnitude = 0;
                for (int j = 0; j < columns; j++)
                {
                    magnitude += Math.Abs(matrix[(i * columns) + j]);
                }

                double u = 1.0 / (1 << 24), gamma = columns * u / (1 - (columns * u));
                Assert.IsTrue(Math.Abs(fast[i] - reference[i]) <= 2 * gamma * magnitude,
                    $"{rows}×{columns} row {i}: {fast[i]} vs {reference[i]}");
            }
        }
    }

    [TestMethod]
    public void MismatchedLengths_Throw()
    {
        Assert.AreEqual("y", Assert.ThrowsException<ArgumentException>(() => VectorOps.Relu(new float[3], new float[4])).ParamName);
        Assert.AreEqual("dx", Assert.ThrowsException<ArgumentException>(
            () => VectorOps.ReluBackward(new float[3], new float[3], new float[2])).ParamName);
        Assert.AreEqual("matrix", Assert.ThrowsException<ArgumentException>(
            () => VectorOps.SumColumns(new float[5], 2, 3, new float[3])).ParamName);
        Assert.AreEqual("sums", Assert.ThrowsException<ArgumentException>(
            () => VectorOps.SumRows(new float[6], 2, 3, new float[3])).ParamName);
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => VectorOps.SumRows(new float[6], -2, 3, new float[3]));
    }

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            // A quarter exact zeros, so the "> 0" and "< 0" edges are exercised.
            values[i] = random.Next(4) == 0 ? 0f : (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    private static void AssertBitIdentical(float[] expected, float[] actual, string what) =>
        GemmProblem.AssertBitIdentical(expected, actual, what);
}
