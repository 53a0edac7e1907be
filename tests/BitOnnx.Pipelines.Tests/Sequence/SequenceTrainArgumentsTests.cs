using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Sequence;
using BitOnnx.Pipelines.Training;

namespace BitOnnx.Pipelines.Tests.Sequence;

/// <summary>The options of `bitonnx train` for arithmetic tasks: the defaults, what they build, and one sentence per bad option.</summary>
[TestClass]
public sealed class SequenceTrainArgumentsTests
{
    [TestMethod]
    public void TheDefaultsAreTheRecipeThatLearnedFiveDigitAddition()
    {
        var r = SequenceTrainArguments.Build("--task add5 --out x");
        Assert.AreEqual("add5", r.Task.Name);
        Assert.AreEqual(ArithmeticEnrichment.Quirke2024, r.Task.Enrichment);
        Assert.AreEqual((64, 4, 16, 256, 2, 19, 15), (r.Config.DModel, r.Config.NHeads, r.Config.DHead, r.Config.DMlp, r.Config.NLayers, r.Config.NCtx, r.Config.DVocab));
        Assert.AreEqual(WeightQuantization.None, r.Config.Quantization);
        Assert.AreEqual((8000L, 64, 3e-3, 0.1), (r.Options.Steps, r.Options.BatchSize, r.Options.LearningRate, r.Options.WeightDecay));
        Assert.AreEqual("torchsharp", r.Backend);
        Assert.AreEqual(10_000, r.EvalQuestions);
    }

    [TestMethod]
    public void OptionsBuildTheModelAndTheTask()
    {
        var r = SequenceTrainArguments.Build("--task sub3 --d-model 96 --heads 3 --layers 3 --quant binary --binary-scale absmean --enrichment none --steps 50 --lr 1e-3 --batch 16 --seed 7 --out x");
        Assert.AreEqual((ArithmeticMix.Subtraction, 3), (r.Task.Mix, r.Task.Digits));
        Assert.AreEqual(ArithmeticEnrichment.None, r.Task.Enrichment);
        Assert.AreEqual((96, 3, 32, 384, 3), (r.Config.DModel, r.Config.NHeads, r.Config.DHead, r.Config.DMlp, r.Config.NLayers), "d_head = d_model / heads, d_mlp = 4 d_model");
        Assert.AreEqual((WeightQuantization.Binary, BinaryScale.AbsMean), (r.Config.Quantization, r.Config.BinaryScale));
        Assert.AreEqual((50L, 16, 1e-3, 7L), (r.Options.Steps, r.Options.BatchSize, r.Options.LearningRate, r.Options.Seed));
    }

    [TestMethod]
    [DataRow("--task add5 --p 31", "--p is an option of modular-addition, not of arithmetic task add5")]
    [DataRow("--task add5 --epochs 10", "--epochs is an option of modular-addition, not of arithmetic task add5")]
    [DataRow("--task add5 --preset li2024", "--preset is an option of modular-addition")]
    [DataRow("--task abc5", "--task 'abc5' is not a task; the task is modular-addition, or add, sub or mix followed by the digits per operand, as add5.")]
    [DataRow("--task add0", "--task 'add0' is not a task")]
    [DataRow("--task add5 --d-model 30 --n-heads 4", "n_heads (4) must divide d_model (30)")]
    [DataRow("--task add5 --backend gpu", "--backend 'gpu' is not a choice; the backend is engine or torchsharp.")]
    [DataRow("--task add5 --enrichment lots", "--enrichment 'lots' is not a choice; the enrichment is quirke2024 or none.")]
    [DataRow("--task add5 --steps 0", "--steps '0' is out of range")]
    [DataRow("--task add5 --binary-scale absmean", "binary_scale abs_mean scales binary weights, so it needs quant binary.")]
    public void EachBadOptionIsOneSentence(string line, string message)
    {
        var e = Assert.ThrowsExactly<UsageException>(() => SequenceTrainArguments.Build(line + " --out x"));
        StringAssert.Contains(e.Message, message);
        Assert.AreEqual(1, e.Message.Split(". ").Length, $"one sentence: {e.Message}");
    }

    [TestMethod]
    public void ModularAdditionRefusesTheOptionsOnlyArithmeticTakes()
    {
        var given = ArgumentLine.Parse("--steps 10 --p 7 --out x", TrainTasks.Options, TrainArguments.Command);
        Assert.IsFalse(TrainTasks.IsArithmetic(given));
        var e = Assert.ThrowsExactly<UsageException>(() => TrainTasks.ForModularAddition(given));
        Assert.AreEqual("--steps is an option of arithmetic tasks, not of modular-addition; leave it out, or give --task add5 (or another addN, subN, mixN).", e.Message);
        var modular = TrainArguments.Build(TrainTasks.ForModularAddition(ArgumentLine.Parse("--task modular-addition --p 7 --d-model 8 --n-heads 2 --out x", TrainTasks.Options, TrainArguments.Command)));
        Assert.AreEqual((7, 8, 2, 4), (modular.Config.P, modular.Config.DModel, modular.Config.NHeads, modular.Config.DHead));
    }

    [TestMethod]
    public void TheHelpTableNamesEveryOptionOnceAndBothDefaults()
    {
        var names = TrainTasks.Options.Select(o => o.Name).ToList();
        CollectionAssert.AllItemsAreUnique(names);
        foreach (var name in new[] { "--task", "--steps", "--batch", "--enrichment", "--eval-questions", "--p", "--epochs", "--d-model" })
            CollectionAssert.Contains(names, name);
        var dModel = TrainTasks.Options.Single(o => o.Name == "--d-model");
        StringAssert.Contains(dModel.Description, "[default: 128]");
        StringAssert.Contains(dModel.Description, "Arithmetic tasks:");
        StringAssert.Contains(dModel.Description, "[default: 64]");
        CollectionAssert.Contains(TrainTasks.Options.Single(o => o.Name == "--n-heads").Aliases.ToList(), "--heads");
    }
}
