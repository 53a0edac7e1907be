using BitOnnx.Engine.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Engine.Tests.Kernels;

/// <summary>Bad arguments fail early with an <see cref="ArgumentException"/> naming the argument.</summary>
[TestClass]
public sealed class GemmArgumentTests
{
    private static GemmFunction Implementation(string name) =>
        name == nameof(Gemm) ? Gemm.Multiply : GemmReference.Multiply;

    [TestMethod]
    [DataRow(nameof(Gemm))]
    [DataRow(nameof(GemmReference))]
    public void NegativeDimensionsThrow(string name)
    {
        GemmFunction multiply = Implementation(name);
        AssertThrows(multiply, "m", a: 0, b: 0, c: 0, m: -1, n: 2, k: 2);
        AssertThrows(multiply, "n", a: 0, b: 0, c: 0, m: 2, n: -1, k: 2);
        AssertThrows(multiply, "k", a: 0, b: 0, c: 0, m: 2, n: 2, k: -3);
    }

    [TestMethod]
    [DataRow(nameof(Gemm))]
    [DataRow(nameof(GemmReference))]
    public void ShortSpansThrow(string name)
    {
        GemmFunction multiply = Implementation(name);
        AssertThrows(multiply, "a", a: 5, b: 12, c: 8, m: 2, n: 4, k: 3);
        AssertThrows(multiply, "b", a: 6, b: 11, c: 8, m: 2, n: 4, k: 3);
        AssertThrows(multiply, "c", a: 6, b: 12, c: 7, m: 2, n: 4, k: 3);
        AssertThrows(multiply, "b", a: 6, b: 11, c: 8, m: 2, n: 4, k: 3, transposeB: true);
    }

    [TestMethod]
    [DataRow(nameof(Gemm))]
    [DataRow(nameof(GemmReference))]
    public void ThreadsBelowOneThrow(string name)
    {
        GemmFunction multiply = Implementation(name);
        AssertThrows(multiply, "threads", a: 6, b: 12, c: 8, m: 2, n: 4, k: 3, threads: 0);
        AssertThrows(multiply, "threads", a: 6, b: 12, c: 8, m: 2, n: 4, k: 3, threads: -2);
    }

    [TestMethod]
    [DataRow(nameof(Gemm))]
    [DataRow(nameof(GemmReference))]
    public void OutputOverlappingAnInputThrows(string name)
    {
        GemmFunction multiply = Implementation(name);
        var buffer = new float[20];
        var error = Assert.ThrowsException<ArgumentException>(
            () => multiply(buffer.AsSpan(0, 4), buffer.AsSpan(4, 4), buffer.AsSpan(2, 4), 2, 2, 2, false, false, false, 1));
        Assert.AreEqual("c", error.ParamName);
        StringAssert.Contains(error.Message, "overlaps");
    }

    [TestMethod]
    public void MessageStatesTheNeededLength()
    {
        var error = Assert.ThrowsException<ArgumentException>(
            () => Gemm.Multiply(new float[5], new float[12], new float[8], 2, 4, 3, transposeA: true));
        StringAssert.Contains(error.Message, "needs 6");
        StringAssert.Contains(error.Message, "A[3×2]");
    }

    private static void AssertThrows(GemmFunction multiply, string parameter, int a, int b, int c, int m, int n, int k,
        bool transposeB = false, int threads = 1)
    {
        // Negative sizes and thread counts are out of range; spans too short for valid sizes are plain argument errors.
        bool outOfRange = m < 0 || n < 0 || k < 0 || threads < 1;
        Action call = () => multiply(new float[a], new float[b], new float[c], m, n, k, false, transposeB, false, threads);
        ArgumentException error = outOfRange
            ? Assert.ThrowsException<ArgumentOutOfRangeException>(call, $"expected a complaint about {parameter}")
            : Assert.ThrowsException<ArgumentException>(call, $"expected a complaint about {parameter}");
        Assert.AreEqual(parameter, error.ParamName);
    }
}
