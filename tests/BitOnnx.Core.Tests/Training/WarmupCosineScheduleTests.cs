using BitOnnx.Core.Training;

namespace BitOnnx.Core.Tests.Training;

[TestClass]
public sealed class WarmupCosineScheduleTests
{
    /// <summary>LinearLR from 0.01 · lr over the first fifth, then CosineAnnealingLR to 0: values in closed form.</summary>
    [TestMethod]
    public void RisesLinearlyThenFallsAlongACosine()
    {
        var s = new WarmupCosineSchedule(1e-3, 1000);
        Assert.AreEqual(200, s.WarmupSteps);
        Assert.AreEqual(1e-5, s.LearningRateAt(0), 1e-18);
        Assert.AreEqual(1e-3 * (0.01 + 0.99 * 0.5), s.LearningRateAt(100), 1e-15);
        Assert.AreEqual(1e-3, s.LearningRateAt(200), 1e-15);
        Assert.AreEqual(0.5e-3, s.LearningRateAt(600), 1e-15);
        Assert.AreEqual(1e-3 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), s.LearningRateAt(400), 1e-15);
        Assert.AreEqual(0, s.LearningRateAt(1000), 1e-15);
    }
}
