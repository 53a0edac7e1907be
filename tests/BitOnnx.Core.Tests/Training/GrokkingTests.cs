using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Core.Tests.Training;

/// <summary>
/// Grokking in CI's budget: P = 31, half the pairs for training, a narrower model and lr 3e-3 so it happens in a few
/// thousand epochs. With weight decay the model generalises; without it, it memorises the train set and stays far below.
/// </summary>
[TestClass]
public sealed class GrokkingTests
{
    private static TrainingResult Train(WeightQuantization mode, double weightDecay) =>
        new Trainer(
            TransformerConfig.Li2024 with { P = 31, DModel = 64, NHeads = 4, DHead = 16, DMlp = 128, Quantization = mode },
            new TrainingOptions
            {
                Epochs = 3000, Seed = 0, TrainFraction = 0.5, LogEvery = 100, Threads = 2,
                Optimizer = new AdamWSettings { LearningRate = 3e-3, WeightDecay = weightDecay },
            },
            new RunFolder(Path.Combine(Path.GetTempPath(), "bitonnx-tests", Guid.NewGuid().ToString("N")))).Run();

    [TestMethod]
    [DataRow(WeightQuantization.None)]
    [DataRow(WeightQuantization.Binary)]
    [DataRow(WeightQuantization.Ternary)]
    public void GeneralisesWithWeightDecay(WeightQuantization mode)
    {
        var result = Train(mode, weightDecay: 1.0);
        var last = result.Metrics[^1];
        Assert.IsTrue(last.TestAccuracy >= 0.99, $"{mode}: test accuracy {last.TestAccuracy:P2} after {last.Epoch} epochs");
    }

    [TestMethod]
    public void DoesNotGeneraliseWithoutWeightDecay()
    {
        var result = Train(WeightQuantization.None, weightDecay: 0.0);
        var last = result.Metrics[^1];
        Assert.IsTrue(last.TrainLoss < 0.01, $"memorises the train set (train loss {last.TrainLoss:G3})");
        Assert.IsTrue(last.TestAccuracy < 0.9, $"test accuracy {last.TestAccuracy:P2} without weight decay");
    }
}
