using BitOnnx.Analysis;
using BitOnnx.Analysis.Onnx;
using BitOnnx.Analysis.Progress;
using Spectre.Console;

namespace BitOnnx.Cli;

/// <summary>
/// Turns <see cref="AnalysisProgress"/> reports into Spectre progress rows: per model one row for probing, one for the
/// analyses (their stages in turn) and one for the checkpoint series, plus one for the report. Rows appear when their
/// first report arrives; reports may come from worker threads.
/// </summary>
internal sealed class AnalysisProgressRows(ProgressContext context)
{
    /// <summary>The analyses' stages in the order <see cref="ModelAnalyzer"/> runs them.</summary>
    private static readonly string[] AnalysisStages = ["embedding", "attention", "neurons", "logits", "clock vs pizza"];

    private readonly Dictionary<string, ProgressTask> _rows = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Reports of one model (or of the report, when <paramref name="model"/> is null).</summary>
    public IProgress<AnalysisProgress> For(string? model) => new Handler(this, model);

    /// <summary>Marks every row complete (a stage may end without a final report).</summary>
    public void CompleteAll()
    {
        lock (_gate)
        {
            foreach (var row in _rows.Values) row.Value = row.MaxValue;
        }
    }

    private void Report(string? model, AnalysisProgress p)
    {
        string prefix = model is null ? "" : model + " · ";
        int stage = Array.IndexOf(AnalysisStages, p.Stage);
        (string key, string label, double value) = p.Stage switch
        {
            OnnxProbeSource.ProgressStage => ("probe", "probing all P² pairs (ONNX Runtime)", p.Fraction),
            CheckpointSeries.ProgressStage => ("checkpoints", "checkpoints: export, probe, progress measures", p.Fraction),
            _ when stage >= 0 => ("analysis", $"analysing: {p.Stage}", (stage + p.Fraction) / AnalysisStages.Length),
            _ when p.Stage.StartsWith("report", StringComparison.Ordinal) => ("report", p.Stage, p.Fraction),
            _ => (p.Stage, p.Stage, p.Fraction),
        };
        lock (_gate)
        {
            string id = prefix + key;
            if (!_rows.TryGetValue(id, out var row)) _rows[id] = row = context.AddTask(Markup.Escape(prefix + label), maxValue: 1);
            row.Description = Markup.Escape(prefix + label);
            row.Value = Math.Clamp(value, row.Value, 1);
        }
    }

    private sealed class Handler(AnalysisProgressRows rows, string? model) : IProgress<AnalysisProgress>
    {
        public void Report(AnalysisProgress value) => rows.Report(model, value);
    }
}
