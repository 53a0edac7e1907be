using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Training;
using TorchSharp;

namespace BitOnnx.Torch.Tests;

/// <summary>Every step's temporaries die in its dispose scope: the number of live tensors does not grow per step.</summary>
[TestClass]
public sealed class StepMemoryTests
{
    [TestMethod]
    public void StepsAndEvaluationsLeaveNoTensorsBehind()
    {
        var c = TransformerConfig.Li2024 with { P = 23, Quantization = WeightQuantization.Binary, NLayers = 2 };
        var data = ModularAdditionData.Split(c.P, 0.3, seed: 0);
        using var step = new TorchTrainingStep(c, ParameterInitializer.Initialize(c, seed: 0), new AdamWSettings(), data, threads: 1);
        for (var i = 0; i < 3; i++) step.Run(); // the first steps create the gradients and AdamW's moments, which stay
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;
        using (var leaked = torch.zeros(1)) Assert.AreEqual(live + 1, stats.ThreadTotalLiveCount, "the counter sees a tensor kept past a step");
        for (var i = 0; i < 10; i++)
        {
            step.Run();
            step.Evaluate();
        }
        Assert.AreEqual(live, stats.ThreadTotalLiveCount, "live tensors after 10 more steps");
    }
}
