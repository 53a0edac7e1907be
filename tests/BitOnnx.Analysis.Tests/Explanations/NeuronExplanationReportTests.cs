using System.Text.Json;
using BitOnnx.Analysis.Explanations;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Report;
using BitOnnx.Core.Model;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Explanations;

/// <summary>
/// The neuron rewrite and the report's explanation section on a small export: writing the neurons' own values back is
/// the clean run (ce_loss_score 1), writing zeros is the zero-ablated MLP (0: the model has no MLP biases), the CSV
/// gives back every formula, and a model without writable hooks is explained but says why it is not rewritten.
/// </summary>
[TestClass]
public sealed class NeuronExplanationReportTests
{
    private const int P = SmallExports.P;

    private static float[] LastPositionPost(ModelSession session)
    {
        var config = session.Metadata.Config!;
        var post = session.RunGrid([HookNames.MlpPost(0)])[HookNames.MlpPost(0)].Data;
        int m = config.DMlp, n = config.NCtx;
        var last = new float[P * P * m];
        for (var r = 0; r < P * P; r++) post.AsSpan((r * n + n - 1) * m, m).CopyTo(last.AsSpan(r * m, m));
        return last;
    }

    [TestMethod]
    public void TheRewriteIsCleanWithTheNeuronsOwnValuesAndZeroAblatedWithZeros()
    {
        using var dir = new TempDir();
        using var session = ModelSession.Open(SmallExports.Write(dir.Path, "writable.onnx", HookSelection.Every));
        var own = NeuronRewrite.Run(session, LastPositionPost(session));
        Assert.AreEqual(own.Clean.Loss, own.Simulated.Loss, 1e-12);
        Assert.AreEqual(own.Clean.Accuracy, own.Simulated.Accuracy);
        Assert.AreEqual(1.0, own.CeLossScore, 1e-9);

        var zeros = NeuronRewrite.Run(session, new float[P * P * session.Metadata.Config!.DMlp]);
        Assert.AreEqual(zeros.ZeroAblated.Loss, zeros.Simulated.Loss, 1e-6);
        Assert.AreEqual(0.0, zeros.CeLossScore, 1e-4);
        Assert.AreNotEqual(zeros.Clean.Loss, zeros.ZeroAblated.Loss, "the MLP matters to the model");

        Assert.AreEqual(0.75, NeuronRewriteResult.CeLossScoreOf(clean: 1.0, spliced: 2.0, zero: 5.0), 1e-15);
        var e = Assert.ThrowsException<AnalysisInputException>(() => NeuronRewrite.Run(session, new float[7]));
        StringAssert.Contains(e.Message, "neurons over 121 pairs");
    }

    [TestMethod]
    public void TheCsvGivesBackEveryFormulaAndRefusesAnotherFile()
    {
        using var dir = new TempDir();
        using var session = ModelSession.Open(SmallExports.Write(dir.Path, "writable.onnx", HookSelection.Every));
        var m = session.Metadata.Config!.DMlp;
        var explanations = UnitExplainer.ExplainAll(P, LastPositionPost(session), m);
        var path = Path.Combine(dir.Path, "neurons.csv");
        ExplanationCsv.Write(path, explanations);
        var parsed = ExplanationCsv.ParseFormulas(File.ReadAllText(path));
        Assert.AreEqual(m, parsed.Count);
        for (var u = 0; u < m; u++)
        {
            Assert.AreEqual(u, parsed[u].Unit);
            CollectionAssert.AreEqual(explanations[u].Formula.Map(), parsed[u].Formula.Map(), $"unit {u}");
        }
        var bad = Assert.ThrowsException<AnalysisInputException>(() => ExplanationCsv.ParseFormulas("component,kind,loss,accuracy\nnone,none,1,1\n"));
        StringAssert.Contains(bad.Message, "starts with the header");
        var broken = Assert.ThrowsException<AnalysisInputException>(() => ExplanationCsv.ParseFormulas(ExplanationCsv.Header + "\n0,fourier,0,3,0.5,11,0,0.1,3:up:1:0,\"x\"\n"));
        StringAssert.Contains(broken.Message, "Line 2");
    }

    [TestMethod]
    public void TheReportExplainsEveryNeuronAndRewritesTheWritableModel()
    {
        using var dir = new TempDir();
        var models = new List<ReportModel>();
        foreach (var (file, writable) in new[] { ("writable.onnx", HookSelection.Every), ("plain.onnx", HookSelection.None) })
        {
            using var inputs = OnnxModelInputs.Open(new OnnxModelRequest(SmallExports.Write(dir.Path, file, writable), Gradients: false));
            models.Add(new ReportModel(ModelAnalyzer.Analyze(inputs.Inputs, new AnalysisOptions { Sections = ["explanations"] })));
        }
        var files = ReportWriter.Write(Path.Combine(dir.Path, "report"), models);

        using var summary = JsonDocument.Parse(File.ReadAllText(files.SummaryJson));
        var first = summary.RootElement.GetProperty("models")[0].GetProperty("sections").GetProperty("explanations");
        var second = summary.RootElement.GetProperty("models")[1].GetProperty("sections").GetProperty("explanations");
        Assert.AreEqual(24, first.GetProperty("neurons").GetInt32());
        var rewrite = first.GetProperty("rewrite");
        var (clean, simulated, zero) = (rewrite.GetProperty("clean").GetProperty("loss").GetDouble(), rewrite.GetProperty("simulated").GetProperty("loss").GetDouble(),
            rewrite.GetProperty("zero-ablated MLP").GetProperty("loss").GetDouble());
        Assert.AreEqual((zero - simulated) / (zero - clean), rewrite.GetProperty("ce_loss_score").GetDouble(), 1e-12);
        StringAssert.Contains(second.GetProperty("rewrite_skipped").GetString(), "--writable all");
        Assert.AreEqual(24, second.GetProperty("neurons").GetInt32());

        var csv = File.ReadAllLines(Path.Combine(dir.Path, "report", "data", "writable.onnx", "explanations_neurons.csv"));
        Assert.AreEqual(ExplanationCsv.Header, csv[0]);
        Assert.AreEqual(25, csv.Length);
        Assert.AreEqual(NeuronRewriteResult.CsvHeader, File.ReadAllLines(Path.Combine(dir.Path, "report", "data", "writable.onnx", "explanations_rewrite.csv"))[0]);
        StringAssert.Contains(File.ReadAllText(files.IndexHtml), "Neuron explanations");
    }
}
