using System.Text.Json;
using BitOnnx.Analysis.Interventions;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Report;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Export;
using BitOnnx.TestSupport;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Interventions;

/// <summary>
/// The ablation and patching sections of a report: present, with their tables, for a model exported with writable hooks
/// and equal to what bitonnx ablate and patch compute; for a model without, absent with the reason on the page.
/// </summary>
[TestClass]
public sealed class InterventionSectionsTests
{
    private const int P = SmallExports.P;

    [TestMethod]
    public void AWritableModelGetsAblationAndPatchingAndAnotherSaysWhyNot()
    {
        using var dir = new TempDir();
        var writable = SmallExports.Write(dir.Path, "writable.onnx", HookSelection.Every);
        var plain = SmallExports.Write(dir.Path, "plain.onnx", HookSelection.None);
        var models = new List<ReportModel>();
        ModelAnalysis? analysed = null;
        foreach (var path in new[] { writable, plain })
        {
            using var inputs = OnnxModelInputs.Open(new OnnxModelRequest(path, Gradients: false));
            var analysis = ModelAnalyzer.Analyze(inputs.Inputs);
            analysed ??= analysis;
            models.Add(new ReportModel(analysis));
        }
        var files = ReportWriter.Write(Path.Combine(dir.Path, "report"), models);

        using var summary = JsonDocument.Parse(File.ReadAllText(files.SummaryJson));
        var (first, second) = (summary.RootElement.GetProperty("models")[0], summary.RootElement.GetProperty("models")[1]);
        var sections = first.GetProperty("sections");
        Assert.AreEqual(24, sections.GetProperty("ablation").GetProperty("neurons").GetInt32());
        Assert.AreEqual("logit difference", sections.GetProperty("patching").GetProperty("metric").GetString());
        Assert.IsFalse(sections.GetProperty("patching").TryGetProperty("attribution_correlation", out _), "no backward pass was given");
        foreach (var id in new[] { "ablation", "patching" })
            StringAssert.Contains(second.GetProperty("sections").GetProperty(id).GetProperty("skipped").GetString(), "--writable all", id);

        var data = Path.Combine(dir.Path, "report", "data", "writable.onnx");
        var ablation = File.ReadAllLines(Path.Combine(data, "ablation_table.csv"));
        var patching = File.ReadAllLines(Path.Combine(data, "patching_table.csv"));
        Assert.AreEqual(AblationCsv.Header, ablation[0]);
        Assert.AreEqual(PatchingCsv.Header, patching[0]);

        // The same numbers as the tables bitonnx ablate and patch write.
        using var session = BitOnnx.Onnx.Runtime.ModelSession.Open(writable);
        var weights = new OnnxWeightSource(OnnxModel.Load(writable));
        float[] Weight(string name) => weights.TryGet(name, out var t) ? t.Data : throw new AssertFailedException(name);
        var table = AblationTable.Run(session, Enum.GetValues<AblationTarget>(), InterventionKind.Mean, Weight);
        CollectionAssert.AreEqual(AblationCsv.Format(table).TrimEnd('\n').Split('\n'), ablation);
        var patched = ActivationPatching.Run(session, PatchingPairs.All(P, PartnerRule.Random), PatchingMetric.LogitDifference, Enum.GetValues<PatchingTarget>(), Weight);
        CollectionAssert.AreEqual(PatchingCsv.Format(patched).TrimEnd('\n').Split('\n'), patching);

        var page = File.ReadAllText(files.IndexHtml);
        StringAssert.Contains(page, "not ablated: the model was exported without writable hooks");
        Assert.IsNotNull(analysed);
    }
}
