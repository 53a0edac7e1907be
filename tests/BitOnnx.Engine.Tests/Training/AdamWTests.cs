using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

namespace BitOnnx.Engine.Tests.Training;

/// <summary>
/// AdamW's vector paths (512-bit, or 256-bit with DOTNET_EnableAVX512=0 and on AVX2-only machines) against the update
/// written out one element at a time in float, as torch.optim.AdamW orders it: the same bits for every element.
/// </summary>
[TestClass]
public sealed class AdamWTests
{
    [TestMethod]
    public void VectorPathMatchesTheScalarUpdateBitForBit()
    {
        var config = TransformerConfig.Li2024 with { P = 11, DModel = 9, NHeads = 1, DHead = 9, DMlp = 20 };
        var random = new Random(2);
        var parameters = ParameterSet.Zeros(config);
        var settings = new AdamWSettings { WarmupSteps = 3 };
        var optimizer = new AdamW(settings, parameters);
        for (var i = 0; i < parameters.Data.Length; i++) parameters.Data[i] = (float)random.NextDouble() - 0.5f;
        Assert.AreNotEqual(0, parameters.Data.Length % 16, "a tail after the last whole vector is exercised");
        var (p, m, v) = ((float[])parameters.Data.Clone(), new float[parameters.Data.Length], new float[parameters.Data.Length]);
        for (var step = 1; step <= 4; step++)
        {
            var gradient = parameters.ZerosLike();
            for (var i = 0; i < gradient.Data.Length; i++) gradient.Data[i] = (float)(random.NextDouble() - 0.5) * step;
            optimizer.Update(parameters, gradient);
            var lr = settings.LearningRateAt(step - 1);
            var decay = (float)(1 - lr * settings.WeightDecay);
            float beta1 = (float)settings.Beta1, beta2 = (float)settings.Beta2, eps = (float)settings.Epsilon;
            var stepSize = (float)(lr / (1 - Math.Pow(settings.Beta1, step)));
            var root = (float)Math.Sqrt(1 - Math.Pow(settings.Beta2, step));
            for (var i = 0; i < p.Length; i++)
            {
                var g = gradient.Data[i];
                p[i] *= decay;
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                p[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / root + eps);
            }
            CollectionAssert.AreEqual(p, parameters.Data, $"step {step}");
            CollectionAssert.AreEqual(m, optimizer.FirstMoment.Data);
            CollectionAssert.AreEqual(v, optimizer.SecondMoment.Data);
        }
    }
}
