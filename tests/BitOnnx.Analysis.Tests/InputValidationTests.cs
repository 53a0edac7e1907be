using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Runs;
using BitOnnx.Analysis.Tests.Synthetic;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests;

[TestClass]
public class InputValidationTests
{
    private static SyntheticFourierModel Small() =>
        new(new SyntheticModelSpec { P = 17, DModel = 8, DMlp = 12, NHeads = 2, KeyFrequencies = [3, 5] });

    [TestMethod]
    public void Missing_probes_are_all_named_with_the_export_flag_that_adds_them()
    {
        var probes = Small().Probes().Remove(ProbeNames.MlpPost).Remove(ProbeNames.AttentionPattern);
        var e = Assert.ThrowsException<MissingProbesException>(() => ModelAnalyzer.Analyze(new ModelInputs("binary", probes)));
        CollectionAssert.AreEquivalent(new[] { ProbeNames.MlpPost, ProbeNames.AttentionPattern }, e.MissingProbes.ToArray());
        StringAssert.Contains(e.Message, "binary");
        StringAssert.Contains(e.Message, "blocks.0.mlp.hook_post (needed by: neuron maps and FVE)");
        StringAssert.Contains(e.Message, "--probes all");
        StringAssert.Contains(e.Message, "--probes blocks.0.attn.hook_pattern,blocks.0.mlp.hook_post");
    }

    [TestMethod]
    public void Only_the_chosen_analyses_ask_for_probes()
    {
        var probes = Small().Probes().Remove(ProbeNames.MlpPost).Remove(ProbeNames.AttentionPattern);
        var options = new AnalysisOptions { Parts = AnalysisParts.Embedding | AnalysisParts.Logits | AnalysisParts.ClockPizza };
        var result = ModelAnalyzer.Analyze(new ModelInputs("binary", probes), options);
        Assert.IsNull(result.Neurons);
        Assert.IsNotNull(result.Logits);
    }

    [TestMethod]
    public void Embedding_weight_replaces_the_hook_embed_probe()
    {
        var model = Small();
        var probes = model.Probes().Remove(ProbeNames.Embed);
        var options = new AnalysisOptions { Parts = AnalysisParts.Embedding };
        Assert.ThrowsException<MissingProbesException>(() => ModelAnalyzer.Analyze(new ModelInputs("m", probes), options));
        var result = ModelAnalyzer.Analyze(new ModelInputs("m", probes, model.Weights()), options);
        CollectionAssert.AreEqual(new[] { 3, 5 }, result.EmbeddingKeyFrequencies);
    }

    [TestMethod]
    public void P_mismatch_between_run_and_model_is_a_clear_error()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "config.json"),
            """{"p": 113, "preset": "li2024", "quant": "binary", "seed": 0, "train_fraction": 0.3, "d_model": 128, "n_heads": 4, "d_mlp": 512}""");
        var run = TrainingRun.Load(dir.Path);
        var e = Assert.ThrowsException<InvalidDataException>(() => ModelAnalyzer.Analyze(new ModelInputs("binary", Small().Probes(), Run: run)));
        StringAssert.Contains(e.Message, "P mismatch");
        StringAssert.Contains(e.Message, "p = 113");
        StringAssert.Contains(e.Message, "P = 17");
    }

    [TestMethod]
    public void Probe_that_does_not_cover_all_inputs_is_rejected_with_its_shape()
    {
        var probes = new InMemoryProbeSource(5).Add(ProbeNames.Logits, new float[24 * 5], 24, 5);
        var e = Assert.ThrowsException<InvalidDataException>(() => ProbeViews.Logits(probes));
        StringAssert.Contains(e.Message, "[24, 5]");
        StringAssert.Contains(e.Message, "P*P = 25");
    }

    [TestMethod]
    public void Tensor_whose_data_disagrees_with_its_shape_is_rejected()
    {
        Assert.ThrowsException<InvalidDataException>(() => new InMemoryProbeSource(3).Add(ProbeNames.Logits, new float[10], 9, 3));
    }
}
