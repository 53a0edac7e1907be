using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Tests.Kernels;

[TestClass]
public sealed class ReluTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(15)]
    [DataRow(16)]
    [DataRow(100)]
    public void FastMatchesScalarReferenceIncludingZeroAndNegativeZero(int n)
    {
        var random = new Random(n);
        var pre = Enumerable.Range(0, n).Select(i => i % 5 == 0 ? (i % 2 == 0 ? 0f : -0f) : (float)random.NextDouble() - 0.5f).ToArray();
        var dPost = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        float[] post1 = new float[n], post2 = new float[n], d1 = new float[n], d2 = new float[n];
        Relu.Forward(pre, post1);
        ReluReference.Forward(pre, post2);
        Relu.Backward(pre, dPost, d1);
        ReluReference.Backward(pre, dPost, d2);
        for (var i = 0; i < n; i++)
        {
            Assert.AreEqual(post2[i], post1[i], $"forward {i}");
            Assert.AreEqual(d2[i], d1[i], $"backward {i}");
            Assert.AreEqual(pre[i] > 0 ? dPost[i] : 0f, d1[i], "subgradient 0 at 0");
        }
    }
}
