using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.Engine.Tests.Training;

/// <summary>
/// Grokking in CI's budget: P = 31, 60% of the pairs for training, a narrower model and lr 3e-3 so it happens within
/// 2,000 epochs. With weight decay the model generalises; without it, it memorises the train set and stays near the
/// ~64% that the train set plus commutativity give. Small models at this learning rate have brief loss spikes (the
/// "slingshot"), so generalisation is judged by the logged epochs reaching 99%, not by the last one alone.
/// </summary>
[TestClass]
public sealed class GrokkingTests
{
    private static TrainingResult Train(WeightQuantization mode, double weightDecay) =>
        new Trainer(
            TransformerConfig.Li2024 with { P = 31, DModel = 64, NHeads = 4, DHead = 16, DMlp = 128, Quantization = mode },
            new TrainingOptions
            {
                Epochs = 2000,
                Seed = 0,
                TrainFraction = 0.6,
                LogEvery = 50,
                Threads = 2,
                Optimizer = new AdamWSettings { LearningRate = 3e-3, WeightDecay = weightDecay },
            },
            new RunFolder(TempDir.NewPath()), EngineBackend.Instance).Run();

    [TestMethod]
    [DataRow(WeightQuantization.None)]
    [DataRow(WeightQuantization.Binary)]
    [DataRow(WeightQuantization.Ternary)]
    public void GeneralisesWithWeightDecay(WeightQuantization mode)
    {
        var result = Train(mode, weightDecay: 1.0);
        var best = result.Metrics.MaxBy(m => m.TestAccuracy)!;
        Assert.IsTrue(best.TestAccuracy >= 0.99, $"{mode}: best test accuracy {best.TestAccuracy:P2} (epoch {best.Epoch})");
        var lastQuarter = result.Metrics.Skip(result.Metrics.Count * 3 / 4).Select(m => m.TestAccuracy).Order().ToList();
        var median = lastQuarter[lastQuarter.Count / 2];
        Assert.IsTrue(median >= 0.95, $"{mode}: median test accuracy over the last quarter {median:P2} (generalisation holds, spikes aside)");
    }

    [TestMethod]
    public void DoesNotGeneraliseWithoutWeightDecay()
    {
        var result = Train(WeightQuantization.None, weightDecay: 0.0);
        var last = result.Metrics[^1];
        Assert.IsTrue(last.TrainLoss < 0.01, $"memorises the train set (train loss {last.TrainLoss:G3})");
        var best = result.Metrics.Max(m => m.TestAccuracy);
        Assert.IsTrue(best < 0.9, $"best test accuracy {best:P2} without weight decay");
    }
}
