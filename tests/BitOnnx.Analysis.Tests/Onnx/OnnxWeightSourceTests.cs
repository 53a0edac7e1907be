using BitOnnx.Analysis.Onnx;
using BitOnnx.Core.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Onnx;

/// <summary>
/// An export's folded weights as the analysis reads them (their reading from each format is BitOnnx.Onnx's
/// FoldedWeightsTests): only parameters count in Σw², and a model without a config is analysed from its probes alone.
/// </summary>
[TestClass]
public sealed class OnnxWeightSourceTests
{
    [TestMethod]
    public void SumOfSquaresOfAFloatExportCountsOnlyParameters()
    {
        var checkpoint = TinyExports.Checkpoint("li2024", WeightQuantization.None);
        var weights = new OnnxWeightSource(TinyExports.Export(checkpoint));
        double expected = checkpoint.Parameters.Data.Sum(v => (double)v * v);
        Assert.AreEqual(expected, Progress.ProgressMeasures.SumOfSquares(weights), 1e-9 * expected);
    }

    [TestMethod]
    public void TheSourceHoldsTheExportsWeightsInTheirParametersShapes()
    {
        var checkpoint = TinyExports.Checkpoint("nanda2023", WeightQuantization.Ternary);
        var weights = new OnnxWeightSource(TinyExports.Export(checkpoint, WeightFormat.Int2Native, HookSelection.None));
        CollectionAssert.AreEquivalent(checkpoint.Parameters.Entries.Select(e => e.Name).ToArray(), weights.Names.ToArray());
        Assert.IsTrue(weights.TryGet(ParameterNames.Query(0), out var wq));
        CollectionAssert.AreEqual(checkpoint.Parameters.Info(ParameterNames.Query(0)).Shape.ToArray(), wq.Shape);
        Assert.IsTrue(weights.TryGet(ParameterNames.Query(0), out var again));
        Assert.AreSame(wq, again, "read once");
        Assert.IsFalse(weights.TryGet("blocks.0.attn.b_Q", out _));
    }

    [TestMethod]
    public void AModelWithoutAConfigIsAnalysedFromItsProbesAlone()
    {
        var proto = TinyExports.Export(TinyExports.Checkpoint("li2024", WeightQuantization.None)).Proto.Clone();
        new ExportMetadata(TinyExports.P).WriteInto(proto);
        var bare = new OnnxModel(proto);
        var e = Assert.ThrowsException<ModelContractException>(() => new OnnxWeightSource(bare, "bare"));
        StringAssert.Contains(e.Message, "bitonnx.config");

        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "bare.onnx");
        bare.Save(path);
        using var opened = OnnxModelInputs.Open(new OnnxModelRequest(path, Gradients: false));
        Assert.IsNull(opened.Inputs.Weights);
        Assert.IsNotNull(ModelAnalyzer.Analyze(opened.Inputs, new AnalysisOptions { Parts = AnalysisParts.Embedding }).Embedding, "from hook_embed");
    }
}
