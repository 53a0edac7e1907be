using System.Globalization;
using BitOnnx.Analysis;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Progress;
using BitOnnx.Analysis.Report;
using BitOnnx.Onnx.Runtime;
using BitOnnx.Pipeline.Analysis;
using Spectre.Console;

namespace BitOnnx.Cli;

/// <summary>Analyses models with live progress rows, writes the report and prints its headline numbers and location.</summary>
public static class AnalyzeRun
{
    /// <summary>Returns the report's files and each model's analysis, in the order of <paramref name="requests"/>.</summary>
    public static (ReportFiles Files, IReadOnlyList<ModelAnalysis> Analyses) Execute(IReadOnlyList<OnnxModelRequest> requests, string reportDir, string? title, ModelSessionOptions session)
    {
        var options = new AnalysisOptions();
        var opened = new List<OnnxModelInputs>();
        var models = new List<ReportModel>();
        ReportFiles? files = null;
        try
        {
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var rows = new AnalysisProgressRows(ctx);
                    // Open every model first: missing probes and P mismatches fail before any long computation.
                    foreach (var request in requests)
                        opened.Add(OnnxModelInputs.Open(request, options, session, rows.For(request.Name)));
                    foreach (var model in opened)
                    {
                        var progress = rows.For(model.Inputs.Name);
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
                    files = title is null
                        ? ReportWriter.Write(reportDir, models, progress: rows.For(null))
                        : ReportWriter.Write(reportDir, models, title, progress: rows.For(null));
                    rows.CompleteAll();
                });
        }
        finally
        {
            foreach (var model in opened) model.Dispose();
        }
        Print(models, opened, files!);
        return (files!, models.Select(m => m.Analysis).ToList());
    }

    private static void Print(IReadOnlyList<ReportModel> models, IReadOnlyList<OnnxModelInputs> opened, ReportFiles files)
    {
        var table = new Table().AddColumns("model", "P", "key freq. (embedding)", "key freq. (neurons)", "median FVE", "test loss", "s_g", "q", "verdict");
        foreach (var m in models)
        {
            var a = m.Analysis;
            var loss = a.Logits?.Loss;
            table.AddRow(Markup.Escape(a.Name), a.P.ToString(CultureInfo.InvariantCulture), Freqs(a.EmbeddingKeyFrequencies), Freqs(a.NeuronKeyFrequencies),
                F(a.Neurons?.Stats.Median), E(loss?.TestLoss ?? loss?.AllLoss), F(a.ClockPizza?.GradientSymmetricity?.Value),
                F(a.ClockPizza?.DistanceIrrelevance?.Value), a.ClockPizza?.Verdict.ToString().ToLowerInvariant() ?? "-");
        }
        AnsiConsole.Write(table);
        foreach (var model in opened.Where(o => o.GradientsSkipped is not null))
            AnsiConsole.MarkupLine($"[yellow]note:[/] no gradient symmetricity for {Markup.Escape(model.Inputs.Name)}: {Markup.Escape(model.GradientsSkipped!)}");
        foreach (var m in models.Where(m => m.Analysis.Run is { Checkpoints.Count: 0 }))
            AnsiConsole.MarkupLine($"[yellow]note:[/] run of {Markup.Escape(m.Analysis.Name)} has no checkpoints/ (train with --checkpoint-every N for progress measures).");
        AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(Path.GetFullPath(files.IndexHtml))}[/] (summary.json, {files.CsvFiles.Count} CSV files in data/).");
    }

    private static string Freqs(int[] f) => f.Length == 0 ? "-" : string.Join(", ", f);

    private static string F(double? v) => v is double d && !double.IsNaN(d) ? d.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    private static string E(double? v) => v is double d && !double.IsNaN(d) ? d.ToString("G3", CultureInfo.InvariantCulture) : "-";
}
