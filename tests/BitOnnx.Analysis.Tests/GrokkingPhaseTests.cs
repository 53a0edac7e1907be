using BitOnnx.Analysis.Progress;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class GrokkingPhaseTests
{
    [TestMethod]
    public void BoundariesSitAtThePeakTheHalfPeakAnd99PercentAccuracy()
    {
        int[] epochs = [0, 1000, 1400, 2000, 5000, 9000, 10000, 11000, 12000, 13000, 14000, 15000];
        double[] test = [4.7, 20, 34, 33, 30, 25, 22, 16, 5, 0.5, 0.01, 1e-4];
        double[] acc = [0.01, 0.01, 0.01, 0.02, 0.03, 0.05, 0.1, 0.3, 0.6, 0.95, 0.995, 1.0];
        var phases = GrokkingPhases.Estimate(epochs, test, acc);
        Assert.AreEqual(1400, phases.MemorizationEnd);
        Assert.AreEqual(11000, phases.CleanupStart);
        Assert.AreEqual(14000, phases.CleanupEnd);
    }

    [TestMethod]
    public void MonotoneTestLossHasNoMemorisationPeak()
    {
        var phases = GrokkingPhases.Estimate([0, 1, 2, 3], [4, 3, 1, 0.01], null);
        Assert.IsNull(phases.MemorizationEnd);
        Assert.AreEqual(2, phases.CleanupStart);
        Assert.AreEqual(3, phases.CleanupEnd);
    }
}
