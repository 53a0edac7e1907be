using BitOnnx.Pipelines.Sweep;
using BitOnnx.Pipelines.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.Pipelines.Tests.Sweep;

/// <summary>The sweeps the docs cite hold every cell they say, with the train arguments the docs' tables were made by.</summary>
[TestClass]
public sealed class DocsSweepsTests
{
    private static SweepPlan Plan(string name) => SweepPlan.Of(SweepSpec.Read(Path.Combine(RepositoryRoot.Path, "docs", "sweeps", name)));

    [TestMethod]
    public void ReproductionIsFiveModelsTimesFiveSeeds()
    {
        var plan = Plan("reproduction.json");
        Assert.AreEqual(25, plan.Cells.Count);
        const string Run = "--p 113 --epochs 10000 --threads 1 --log-every 10 --stop-at-acc 0.99";
        Assert.AreEqual($"{Run} --preset li2024 --quant binary --seed 0", plan.Cells[0].Arguments);
        Assert.AreEqual($"{Run} --preset li2024 --quant ternary --seed 4", plan.Cells[9].Arguments);
        Assert.AreEqual("--p 113 --threads 1 --log-every 10 --stop-at-acc 0.99 --preset nanda2023 --quant none --epochs 25000 --seed 2", plan.Cells[12].Arguments);
        Assert.AreEqual($"{Run} --preset li2024 --quant binary --binary-scale absmean --quant-scope all --seed 0", plan.Cells[15].Arguments);
        Assert.AreEqual($"{Run} --preset li2024 --quant ternary --quant-scope all --seed 4", plan.Cells[24].Arguments);
        Assert.AreEqual(25_000, TrainArguments.Build(plan.Cells[12].Arguments + " --out x").Options.Epochs);
    }

    [TestMethod]
    public void FullyQuantizedIsItsTwoModelsTimesFiveSeeds()
    {
        var plan = Plan("fully-quantized.json");
        var reproduction = Plan("reproduction.json");
        CollectionAssert.AreEqual(reproduction.Cells.Skip(15).Select(c => c.Arguments).ToArray(), plan.Cells.Select(c => c.Arguments).ToArray(),
            "the same runs as the fully quantized cells of reproduction.json");
    }

    [TestMethod]
    public void SpeedIsThreeSettingsTimesThreeModelsTimesThreeSeeds()
    {
        var plan = Plan("speed.json");
        Assert.AreEqual(27, plan.Cells.Count);
        const string Run = "--p 113 --threads 1 --log-every 10 --stop-at-acc 0.99";
        Assert.AreEqual($"{Run} --grokfast 0.98,2 --epochs 5000 --preset li2024 --quant binary --seed 0", plan.Cells[0].Arguments);
        Assert.AreEqual($"{Run} --lr 1e-2 --epochs 10000 --preset nanda2023 --quant none --seed 1", plan.Cells[16].Arguments);
        Assert.AreEqual($"{Run} --lr 1e-2 --grokfast 0.9,1 --epochs 5000 --preset li2024 --quant ternary --seed 2", plan.Cells[23].Arguments);
        var nanda = TrainArguments.Build(plan.Cells[16].Arguments + " --out x");
        Assert.AreEqual((1e-2, 10, 10_000), (nanda.Options.Optimizer.LearningRate, nanda.Options.Optimizer.WarmupSteps, nanda.Options.Epochs));
    }

    [TestMethod]
    public void BimtCircuitsIsThreeModelsWithAndWithoutBimtTimesThreeSeeds()
    {
        var plan = Plan("bimt-circuits.json");
        Assert.AreEqual(18, plan.Cells.Count);
        const string Run = "--p 113 --epochs 8000 --threads 1 --log-every 10 --stop-at-acc 0.99";
        Assert.AreEqual($"{Run} --preset li2024 --quant binary --seed 0", plan.Cells[0].Arguments);
        Assert.AreEqual($"{Run} --preset li2024 --quant binary --bimt 0.1 --seed 1", plan.Cells[4].Arguments);
        Assert.AreEqual($"{Run} --preset li2024 --quant none --bimt 0.1 --seed 2", plan.Cells[17].Arguments);
        Assert.IsNull(TrainArguments.Build(plan.Cells[6].Arguments + " --out x").Options.Bimt);
        Assert.AreEqual(0.1, TrainArguments.Build(plan.Cells[9].Arguments + " --out x").Options.Bimt!.Lambda);
    }

    [TestMethod]
    public void NandaBimtCircuitsIsNanda2023WithAndWithoutBimtTimesThreeSeeds()
    {
        var plan = Plan("nanda-bimt-circuits.json");
        Assert.AreEqual(6, plan.Cells.Count);
        const string Run = "--preset nanda2023 --quant none --p 113 --epochs 12000 --threads 1 --log-every 10 --stop-at-acc 0.99";
        Assert.AreEqual($"{Run} --seed 0", plan.Cells[0].Arguments);
        Assert.AreEqual($"{Run} --bimt 0.1 --seed 2", plan.Cells[5].Arguments);
        Assert.IsNull(TrainArguments.Build(plan.Cells[2].Arguments + " --out x").Options.Bimt);
        Assert.AreEqual(0.1, TrainArguments.Build(plan.Cells[3].Arguments + " --out x").Options.Bimt!.Lambda);
    }

    [TestMethod]
    public void Add5SeedsIsThreeWeightKindsTimesSeedsTwoAndThreeOnTheEngine()
    {
        var plan = Plan("add5-seeds.json");
        Assert.AreEqual(6, plan.Cells.Count);
        Assert.IsTrue(plan.Cells.All(c => c.IsArithmetic));
        const string Run = "--task add5 --n-layers 2 --n-heads 4 --d-model 64 --d-mlp 256 --steps 8000 --lr 3e-3 --backend engine --threads 1 --eval-questions 100000";
        Assert.AreEqual($"{Run} --quant none --seed 2", plan.Cells[0].Arguments);
        Assert.AreEqual($"{Run} --quant binary --binary-scale absmean --seed 3", plan.Cells[5].Arguments);
        var binary = BitOnnx.Pipelines.Sequence.SequenceTrainArguments.Build(plan.Cells[5].Arguments + " --out x");
        Assert.AreEqual((Core.Model.WeightQuantization.Binary, Core.Model.BinaryScale.AbsMean, 64, 256), (binary.Config.Quantization, binary.Config.BinaryScale, binary.Config.DModel, binary.Config.DMlp));
        Assert.AreEqual(("engine", 1, 100_000L, 8_000L, 3e-3), (binary.Backend, binary.Threads, binary.EvalQuestions, binary.Options.Steps, binary.Options.LearningRate));
    }
}
