using System.Globalization;
using BitOnnx.Analysis;
using BitOnnx.Analysis.ClockPizza;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Progress;
using BitOnnx.Analysis.Report;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Pipelines.Observers;

namespace BitOnnx.Pipelines.Reports;

/// <summary>What an analyse-and-report run wrote and found, in the order the models were given.</summary>
public sealed record AnalysisReport(ReportFiles Files, IReadOnlyList<ModelAnalysis> Analyses);

/// <summary>
/// Analyses exported models side by side and writes the report (<c>bitonnx analyze</c>, and the demo's last step): every
/// model is opened first, so missing probes and mismatched runs fail before any long computation; then each is probed,
/// analysed and, when its run kept checkpoints, measured over them; then the report is written and its headline numbers
/// shown.
/// </summary>
public static class AnalyzeAndReport
{
    public static AnalysisReport Run(IReadOnlyList<OnnxModelRequest> requests, string reportDir, string? title, ModelSessionOptions session,
        AnalysisOptions? options = null, IPipelineObserver? observer = null)
    {
        options ??= new AnalysisOptions();
        observer ??= SilentObserver.Instance;
        var opened = new List<OnnxModelInputs>();
        var models = new List<ReportModel>();
        try
        {
            var files = observer.Analyze(progressOf =>
            {
                foreach (var request in requests)
                    opened.Add(OnnxModelInputs.Open(request, options, session, progressOf(request.Name),
                        (onnx, model) => Interventions.EngineHookGradients.FromOnnx(onnx, model.Metadata, model.Name)));
                foreach (var model in opened)
                {
                    var progress = progressOf(model.Inputs.Name);
                    model.Probes.Run();
                    var analysis = ModelAnalyzer.Analyze(model.Inputs, options, progress);
                    model.Dispose();
                    ProgressSeries? series = null;
                    if (model.Inputs.Run is { } run)
                    {
                        var keys = analysis.NeuronKeyFrequencies.Length > 0 ? analysis.NeuronKeyFrequencies : analysis.EmbeddingKeyFrequencies;
                        series = CheckpointSeries.Measure(run, keys, session, progress);
                    }
                    models.Add(new ReportModel(analysis, series));
                }
                return title is null
                    ? ReportWriter.Write(reportDir, models, progress: progressOf(null))
                    : ReportWriter.Write(reportDir, models, title, progress: progressOf(null));
            });
            Summarize(models, opened, files, observer);
            return new AnalysisReport(files, models.Select(m => m.Analysis).ToList());
        }
        finally
        {
            foreach (var model in opened) model.Dispose();
        }
    }

    private static void Summarize(IReadOnlyList<ReportModel> models, IReadOnlyList<OnnxModelInputs> opened, ReportFiles files, IPipelineObserver observer)
    {
        var rows = models.Select(m =>
        {
            var a = m.Analysis;
            var loss = a.Logits?.Loss;
            return (IReadOnlyList<string>)[a.Name, a.P.ToString(CultureInfo.InvariantCulture), Freqs(a, a.EmbeddingKeyFrequencies), Freqs(a, a.NeuronKeyFrequencies),
                F(a.Neurons?.Stats.Median), E(loss?.TestLoss ?? loss?.AllLoss), F(a.ClockPizza?.GradientSymmetricity?.Value),
                F(a.ClockPizza?.DistanceIrrelevance?.Value), a.ClockPizza?.Verdict.Name() ?? "-"];
        }).ToList();
        observer.Show(new ResultTable("analysis",
            ["model", "P", "key freq. (embedding)", "key freq. (neurons)", "median FVE", "test loss", "s_g", "q", "verdict"], rows));
        foreach (var model in opened.Where(o => o.GradientsSkipped is not null))
            observer.Say($"no gradient symmetricity for {model.Inputs.Name}: {model.GradientsSkipped}", warning: true);
        foreach (var m in models.Where(m => m.Analysis.NeuronsSkipped is not null))
            observer.Say($"no neuron analyses for {m.Analysis.Name}: {m.Analysis.NeuronsSkipped}", warning: true);
        foreach (var m in models.Where(m => m.Analysis.Run is { Checkpoints.Count: 0 }))
            observer.Say($"run of {m.Analysis.Name} has no checkpoints/ (train with --checkpoint-every N for progress measures).", warning: true);
        observer.Say($"Report: {Path.GetFullPath(files.IndexHtml)} (summary.json, {files.CsvFiles.Count} CSV files in data/).");
    }

    private static string Freqs(ModelAnalysis a, int[] f) => !a.Learning.AllowsClaims ? "not claimed" : f.Length == 0 ? "-" : string.Join(", ", f);

    private static string F(double? v) => v is double d && !double.IsNaN(d) ? d.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    private static string E(double? v) => v is double d && !double.IsNaN(d) ? d.ToString("G3", CultureInfo.InvariantCulture) : "-";
}
