using BitOnnx.Core.Training;
using BitOnnx.Torch.Training;
using TorchSharp;

namespace BitOnnx.Torch.Tests;

/// <summary>TorchAdamW against AdamW's closed form (Loshchilov and Hutter 2019), written out per element in double.</summary>
[TestClass]
public sealed class TorchAdamWTests
{
    /// <summary>
    /// Three steps with changing gradients, weight decay and a warm-up, so both bias corrections, the decoupled decay and
    /// the learning-rate schedule all show. float32 tensors against double arithmetic: 1e-6 of each weight's scale.
    /// </summary>
    [TestMethod]
    public void ThreeStepsFollowTheClosedForm()
    {
        var settings = new AdamWSettings { LearningRate = 0.01, WeightDecay = 0.5, Beta1 = 0.8, Beta2 = 0.95, Epsilon = 1e-3, WarmupSteps = 2 };
        float[] initial = [0.5f, -1.25f, 2f, 0f, -0.75f, 1e-3f];
        float[][] gradients = [[0.1f, -0.2f, 0.3f, 0f, 1.5f, -1e-4f], [-0.3f, 0.1f, 0.3f, 2f, -1f, 0f], [0.05f, 0.05f, -0.6f, 0.2f, 0f, 1f]];
        using var weight = torch.tensor(initial).requires_grad_(true);
        using var optimizer = new TorchAdamW([weight], settings);

        var w = Array.ConvertAll(initial, v => (double)v);
        var (m, v) = (new double[w.Length], new double[w.Length]);
        for (var step = 1; step <= gradients.Length; step++)
        {
            using (var g = torch.tensor(gradients[step - 1])) weight.grad = g.clone();
            optimizer.Update();
            var lr = settings.LearningRateAt(step - 1);
            for (var i = 0; i < w.Length; i++)
            {
                var gi = (double)gradients[step - 1][i];
                w[i] *= 1 - lr * settings.WeightDecay;
                m[i] = settings.Beta1 * m[i] + (1 - settings.Beta1) * gi;
                v[i] = settings.Beta2 * v[i] + (1 - settings.Beta2) * gi * gi;
                var mHat = m[i] / (1 - Math.Pow(settings.Beta1, step));
                var vRoot = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(settings.Beta2, step));
                w[i] -= lr * mHat / (vRoot + settings.Epsilon);
            }
            Assert.AreEqual(step, optimizer.Step);
            var actual = weight.detach().data<float>().ToArray();
            for (var i = 0; i < w.Length; i++)
                Assert.AreEqual(w[i], actual[i], 1e-6 * Math.Max(1, Math.Abs(w[i])), $"step {step}, weight {i}");
        }
        CollectionAssert.AreEqual(Array.ConvertAll(m, x => (float)x), optimizer.FirstMoments[0].data<float>().ToArray(),
            new ToleranceComparer(1e-6), "first moments");
    }

    private sealed class ToleranceComparer(double tolerance) : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => Math.Abs((float)x! - (float)y!) <= tolerance ? 0 : 1;
    }
}
