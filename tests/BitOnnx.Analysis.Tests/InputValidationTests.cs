using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Runs;
using BitOnnx.Analysis.Tests.Synthetic;
using BitOnnx.Core.Model;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class InputValidationTests
{
    private static SyntheticFourierModel Small() =>
        new(new SyntheticModelSpec { P = 17, DModel = 8, DMlp = 12, NHeads = 2, KeyFrequencies = [3, 5] });

    [TestMethod]
    public void MissingProbesAreAllNamedWithTheExportFlagThatAddsThem()
    {
        var probes = Small().Probes().Remove(HookNames.MlpPost(0)).Remove(HookNames.Pattern(0));
        var e = Assert.ThrowsException<MissingProbesException>(() => ModelAnalyzer.Analyze(new ModelInputs("binary", probes)));
        CollectionAssert.AreEquivalent(new[] { HookNames.MlpPost(0), HookNames.Pattern(0) }, e.MissingProbes.ToArray());
        StringAssert.Contains(e.Message, "binary");
        StringAssert.Contains(e.Message, "blocks.0.mlp.hook_post (for neuron maps and FVE)");
        StringAssert.Contains(e.Message, "--probes all");
        StringAssert.Contains(e.Message, "--probes blocks.0.attn.hook_pattern,blocks.0.mlp.hook_post");
    }

    [TestMethod]
    public void OnlyTheChosenAnalysesAskForProbes()
    {
        var probes = Small().Probes().Remove(HookNames.MlpPost(0)).Remove(HookNames.Pattern(0));
        var options = new AnalysisOptions { Parts = AnalysisParts.Embedding | AnalysisParts.Logits | AnalysisParts.ClockPizza };
        var result = ModelAnalyzer.Analyze(new ModelInputs("binary", probes), options);
        Assert.IsNull(result.Neurons);
        Assert.IsNotNull(result.Logits);
    }

    [TestMethod]
    public void EmbeddingWeightReplacesTheHookEmbedProbe()
    {
        var model = Small();
        var probes = model.Probes().Remove(HookNames.Embed);
        var options = new AnalysisOptions { Parts = AnalysisParts.Embedding };
        Assert.ThrowsException<MissingProbesException>(() => ModelAnalyzer.Analyze(new ModelInputs("m", probes), options));
        var result = ModelAnalyzer.Analyze(new ModelInputs("m", probes, model.Weights()), options);
        CollectionAssert.AreEqual(new[] { 3, 5 }, result.EmbeddingKeyFrequencies);
    }

    [TestMethod]
    public void PMismatchBetweenRunAndModelIsAClearError()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "config.json"),
            """{"p": 113, "preset": "li2024", "quant": "binary", "seed": 0, "train_fraction": 0.3, "d_model": 128, "n_heads": 4, "d_mlp": 512}""");
        var run = TrainingRun.Load(dir.Path);
        var e = Assert.ThrowsException<AnalysisInputException>(() => ModelAnalyzer.Analyze(new ModelInputs("binary", Small().Probes(), Run: run)));
        StringAssert.Contains(e.Message, "P mismatch");
        StringAssert.Contains(e.Message, "p = 113");
        StringAssert.Contains(e.Message, "P = 17");
    }

    [TestMethod]
    public void ProbeThatDoesNotCoverAllInputsIsRejectedWithItsShape()
    {
        var probes = new InMemoryProbeSource(5).Add(HookNames.Logits, new float[24 * 5], 24, 5);
        var e = Assert.ThrowsException<BitOnnx.Onnx.Contract.ModelContractException>(() => ProbeViews.Logits(probes));
        StringAssert.Contains(e.Message, "[24, 5]");
        StringAssert.Contains(e.Message, "P*P = 25");
    }

    [TestMethod]
    public void TensorWhoseDataDisagreesWithItsShapeIsRejected()
    {
        Assert.ThrowsException<InvalidOperationException>(() => new InMemoryProbeSource(3).Add(HookNames.Logits, new float[10], 9, 3));
    }
}
