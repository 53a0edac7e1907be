using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Runs;
using BitOnnx.Analysis.Tests.Synthetic;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class ModelAnalyzerTests
{
    private static readonly SyntheticModelSpec Spec = new() { P = 23, DModel = 8, DMlp = 20, NHeads = 2, KeyFrequencies = [3, 8], Noise = 0.05 };

    [TestMethod]
    public void ReportsProgressForEveryStageEndingAtOne()
    {
        var model = new SyntheticFourierModel(Spec);
        var reports = new List<AnalysisProgress>();
        ModelAnalyzer.Analyze(new ModelInputs("m", model.Probes(), model.Weights(), EmbeddedModel: model), progress: new SyncProgress(reports));
        var stages = reports.Select(r => r.Stage).Distinct().ToArray();
        CollectionAssert.AreEqual(new[] { "embedding", "attention", "neurons", "logits", "clock vs pizza", "explanations" }, stages);
        foreach (var stage in stages)
        {
            var fractions = reports.Where(r => r.Stage == stage).Select(r => r.Fraction).ToArray();
            Assert.AreEqual(1.0, fractions[^1], 1e-12, stage);
            for (int i = 1; i < fractions.Length; i++) Assert.IsTrue(fractions[i] >= fractions[i - 1], $"{stage} goes backwards");
        }
    }

    [TestMethod]
    public void LossesFollowTheRunSplit()
    {
        var model = new SyntheticFourierModel(Spec);
        var probes = model.Probes();
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "config.json"),
            """{"p": 23, "preset": "li2024", "quant": "binary", "seed": 3, "train_fraction": 0.3, "d_model": 8, "n_heads": 2, "d_mlp": 20}""");
        var train = SyntheticTraining.TrainRows(23, 0.3, 3);
        File.WriteAllText(Path.Combine(dir.Path, "split.json"), $$"""{"seed": 3, "train_fraction": 0.3, "train": [{{string.Join(",", train)}}]}""");
        var run = TrainingRun.Load(dir.Path);

        var result = ModelAnalyzer.Analyze(new ModelInputs("m", probes, Run: run));
        var logits = ProbeViews.Logits(probes);
        double trainLoss = train.Average(r => ModularAdditionLoss.RowLoss(logits.AsSpan(r * 23, 23), (r / 23 + r % 23) % 23));
        Assert.AreEqual(trainLoss, result.Logits!.Loss.TrainLoss!.Value, 1e-12);
        var test = Enumerable.Range(0, 23 * 23).Except(train).ToArray();
        double testLoss = test.Average(r => ModularAdditionLoss.RowLoss(logits.AsSpan(r * 23, 23), (r / 23 + r % 23) % 23));
        Assert.AreEqual(testLoss, result.Logits.Loss.TestLoss!.Value, 1e-12);
    }

    [TestMethod]
    public void CrossEntropyIsStableForConfidentLogits()
    {
        // log-softmax of [1000, 0, 0] for target 0 is −log(1 + 2e−1000) ≈ 0, and for target 1 it is 1000 + log(1 + 2e−1000).
        Assert.AreEqual(0.0, ModularAdditionLoss.RowLoss(new double[] { 1000, 0, 0 }, 0), 1e-300);
        Assert.AreEqual(1000.0, ModularAdditionLoss.RowLoss(new double[] { 1000, 0, 0 }, 1), 1e-9);
        Assert.AreEqual(Math.Log(3), ModularAdditionLoss.RowLoss(new float[] { 2, 2, 2 }, 2), 1e-12);
    }

    [TestMethod]
    public void CorrectAnswerVariantOfGradientSymmetricityUsesCEqualAPlusB()
    {
        var model = new SyntheticFourierModel(Spec);
        var result = GradientSymmetricity.Compute(model, model.Probes().Get(HookNames.Embed), 23,
            new GradientSymmetricityOptions { Logit = SymmetricityLogit.CorrectAnswer, Samples = 30 });
        Assert.IsTrue(result.Triples.All(t => t.C == (t.A + t.B) % 23));
        Assert.IsTrue(result.Triples.Count is > 20 and <= 30);
    }
}
