using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.Torch.Training;

namespace BitOnnx.Torch.Tests;

/// <summary>Grokfast in TorchSharp follows the engine's filter: the same running average and the same loss curve.</summary>
[TestClass]
public sealed class GrokfastEquivalenceTests
{
    /// <summary>
    /// Full precision, so no code can flip: 20 steps with the paper's α 0.98, λ 2. The filter only adds scaled copies of
    /// gradients that already agree to ~1e-6, so the bound of the unfiltered curves (TrainingEquivalenceTests, 2e-3)
    /// holds here too; the averages themselves are compared relative to their largest entry.
    /// </summary>
    [TestMethod]
    public void TorchSharpFiltersAsTheEngineDoes()
    {
        var c = TransformerConfig.Li2024 with { P = 23 };
        var data = ModularAdditionData.Split(c.P, 0.3, seed: 3);
        var grokfast = new GrokfastSettings(0.98, 2);
        var settings = new AdamWSettings();
        var parameters = ParameterInitializer.Initialize(c, seed: 3);
        using var torchStep = new TorchTrainingStep(c, parameters, settings, data, threads: 1, grokfast);
        var engineParameters = parameters.Clone();
        using var engine = new TrainingStep(c, engineParameters, new AdamW(settings, engineParameters), data, threads: 1,
            new GrokfastFilter(grokfast, null));
        Assert.IsNull(torchStep.ReadOptimizer().GradientAverage, "no average before the first step");
        for (var s = 0; s < 20; s++)
        {
            double expected = engine.Run(), actual = torchStep.Run();
            Assert.AreEqual(expected, actual, (s == 0 ? 1e-6 : 2e-3) * expected, $"step {s}");
        }
        var torchAverage = torchStep.ReadOptimizer().GradientAverage!;
        var engineAverage = engine.ReadOptimizer().GradientAverage!;
        Assert.IsTrue(EngineReference.RelativeError(torchAverage.Data, engineAverage.Data) <= 2e-3, "gradient averages");
    }

    /// <summary>A step resumed from the saved state (moments and average) takes exactly the original's next step.</summary>
    [TestMethod]
    public void ResumedFilterContinuesBitIdentically()
    {
        var c = TransformerConfig.Li2024 with { P = 23, Quantization = WeightQuantization.Ternary };
        var data = ModularAdditionData.Split(c.P, 0.3, seed: 5);
        var options = new TrainingOptions { Threads = 1, Grokfast = new GrokfastSettings(0.9, 1) };
        var setup = new TrainingSetup(c, options, data, ParameterInitializer.Initialize(c, seed: 5), null);
        using var a = new TorchTrainingStep(setup);
        for (var i = 0; i < 3; i++) a.Run();
        using var b = new TorchTrainingStep(setup with { Parameters = a.ReadParameters(), Optimizer = a.ReadOptimizer() });
        Assert.AreEqual(a.Run(), b.Run(), 0);
        CollectionAssert.AreEqual(a.ReadParameters().Data, b.ReadParameters().Data);
        CollectionAssert.AreEqual(a.ReadOptimizer().GradientAverage!.Data, b.ReadOptimizer().GradientAverage!.Data);
    }
}
