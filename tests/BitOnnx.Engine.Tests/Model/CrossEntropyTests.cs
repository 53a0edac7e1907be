using BitOnnx.Engine.Layers;

namespace BitOnnx.Engine.Tests.Model;

[TestClass]
public sealed class CrossEntropyTests
{
    [TestMethod]
    public void LossAndGradientFollowTheClosedFormAndSubnormalGradientsAreFlushed()
    {
        // Row 0: ordinary logits. Row 1: a confident row whose wrong-class probabilities, divided by the row count,
        // fall below float's normal range (e^-90 / 2 ≈ 4e-40).
        float[] logits = [1f, 2f, 0.5f, 90f, 0f, 0f];
        int[] targets = [1, 0];
        var dLogits = new float[6];
        var result = CrossEntropy.Forward(2, 3, logits, targets, new double[2], new bool[2], dLogits, threads: 1);

        double Lse(double a, double b, double c) => Math.Log(Math.Exp(a) + Math.Exp(b) + Math.Exp(c));
        var expected = ((Lse(1, 2, 0.5) - 2) + (Lse(90, 0, 0) - 90)) / 2;
        Assert.AreEqual(expected, result.Loss, 1e-12);
        Assert.AreEqual(1.0, result.Accuracy, "both rows put their largest logit on the target");
        for (var c = 0; c < 3; c++)
            Assert.AreEqual((Math.Exp(new[] { 1.0, 2, 0.5 }[c]) / Math.Exp(Lse(1, 2, 0.5)) - (c == 1 ? 1 : 0)) / 2, dLogits[c], 1e-7);
        Assert.AreEqual(0f, dLogits[4], "e^-90 / 2 is subnormal in float and is flushed to zero");
        Assert.AreEqual(0f, dLogits[5]);
        Assert.AreEqual(0f, dLogits[3], 1e-30f, "the target probability rounds to 1, so its gradient is 0");
    }
}
