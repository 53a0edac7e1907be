using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>The register-block transpose and the plain loop, each against the index map itself.</summary>
[TestClass]
public sealed unsafe class MatrixTransposeTests
{
    private static readonly (int Rows, int Columns)[] Blocks = [(1, 1), (8, 8), (3, 5), (17, 113), (16, 24), (9, 33), (128, 113)];

    [TestMethod]
    public void TransposePutsEveryFloatAtItsMirroredPlaceAndNothingElsewhere() => AssertMirrors(MatrixTranspose.Transpose);

    [TestMethod]
    public void TransposeReferencePutsEveryFloatAtItsMirroredPlaceAndNothingElsewhere() =>
        AssertMirrors(MatrixTranspose.TransposeReference);

    private delegate void TransposeFunction(float* source, nint sourceStride, int rows, int columns, float* target, nint targetStride);

    private static void AssertMirrors(TransposeFunction transpose)
    {
        var random = new Random(7);
        foreach ((int rows, int columns) in Blocks)
        {
            // Strides wider than the block: a transpose that strays past its block, in either matrix, shows up.
            int sourceStride = columns + 3, targetStride = rows + 5;
            float[] source = Enumerable.Range(0, rows * sourceStride).Select(_ => (float)random.NextDouble()).ToArray();
            float[] target = Enumerable.Repeat(float.NaN, (columns + 1) * targetStride).ToArray();
            fixed (float* s = source, t = target)
            {
                transpose(s, sourceStride, rows, columns, t, targetStride);
            }

            for (int j = 0; j <= columns; j++)
            {
                for (int i = 0; i < targetStride; i++)
                {
                    float actual = target[(j * targetStride) + i];
                    string where = $"{rows}×{columns} block, target[{j}, {i}]";
                    if (i < rows && j < columns)
                    {
                        Assert.AreEqual(source[(i * sourceStride) + j], actual, where);
                    }
                    else
                    {
                        Assert.IsTrue(float.IsNaN(actual), $"{where} lies outside the block and was written");
                    }
                }
            }
        }
    }
}
