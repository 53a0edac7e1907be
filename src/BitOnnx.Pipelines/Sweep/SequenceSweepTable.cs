using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BitOnnx.Core.Statistics;
using BitOnnx.Pipelines.Sequence;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>
/// One arithmetic cell as the table shows it: "done" with its steps, its last logged training batch (loss, answers
/// right) and its eval.json (fresh uniform questions and the wrong answers among them), "failed" with its error, or
/// "pending".
/// </summary>
public sealed record SequenceSweepRow(SweepCell Cell, string Status, long? Steps, double? Loss, double? BatchAccuracy,
    long? Questions, long? Failures, string? Error);

/// <summary>
/// `bitonnx sweep --collect` for arithmetic cells (--task add5): instead of epochs to 99%, each grid point's failures
/// per seed over the fresh questions its cells were asked, its least accurate cell's answer accuracy with the 95%
/// Clopper-Pearson interval, and the steps. The cells are asked the same questions, so their counts are not pooled.
/// Like <see cref="SweepTable"/>, a function of the cells' files alone.
/// </summary>
public static class SequenceSweepTable
{
    public static IReadOnlyList<SequenceSweepRow> Rows(SweepFolder folder) => folder.Plan.Cells.Select(cell =>
    {
        var status = folder.ReadStatus(cell.Index);
        if (status is null) return new SequenceSweepRow(cell, "pending", null, null, null, null, null, null);
        if (status.State == CellState.Failed) return new SequenceSweepRow(cell, "failed", null, null, null, null, null, status.Error);
        var run = new SequenceRunFolder(folder.CellDirectory(cell.Index));
        var last = run.ReadMetricRows().LastOrDefault();
        long? questions = null, failures = null;
        if (File.Exists(run.EvaluationFile))
        {
            var eval = JsonNode.Parse(File.ReadAllText(run.EvaluationFile))!;
            questions = (long?)eval["questions"];
            failures = (long?)eval["failures"];
        }
        return new SequenceSweepRow(cell, "done", status.Step, Number(last, 2), Number(last, 3), questions, failures, null);
    }).ToList();

    public static string Tsv(IReadOnlyList<SequenceSweepRow> rows)
    {
        var text = new StringBuilder("index\targuments\tseed\tstatus\tsteps\ttrain_loss\ttrain_answer_acc\tquestions\tfailures\tanswer_acc\tinterval_lower\tinterval_upper\terror\n");
        foreach (var r in rows)
        {
            var interval = r.Questions is > 0 ? ClopperPearson.Interval(r.Questions.Value - r.Failures!.Value, r.Questions.Value) : (ProbabilityInterval?)null;
            string[] fields =
            [
                Text(r.Cell.Index), r.Cell.ArgumentsWithoutSeed, Text(r.Cell.Seed), r.Status, Text(r.Steps),
                Text(r.Loss), Text(r.BatchAccuracy), Text(r.Questions), Text(r.Failures),
                Text(r.Questions is > 0 ? 1.0 - (double)r.Failures!.Value / r.Questions.Value : null),
                Text(interval?.Lower), Text(interval?.Upper),
                r.Error?.ReplaceLineEndings(" ").Replace('\t', ' ') ?? "-",
            ];
            text.Append(string.Join('\t', fields)).Append('\n');
        }
        return text.ToString();
    }

    public static string Markdown(SweepSpec spec, IReadOnlyList<SequenceSweepRow> rows)
    {
        var seeds = string.Join(", ", spec.Seeds.Select(s => Text(s)));
        var text = new StringBuilder($"# Sweep: {rows.Count} cells\n\n")
            .Append($"Base: {(spec.Base.Length == 0 ? "none" : $"`{spec.Base}`")}. Seeds: {seeds}. Each row is a grid point. Every cell is asked the ")
            .Append("same fresh uniform questions (the evaluation's fixed seed), so the seeds' counts are not pooled: wrong lists each done cell's failures ")
            .Append("in seed order, and the accuracy with its 95 % Clopper-Pearson interval is the least accurate cell's; the final loss (mean ± sd over ")
            .Append("the done cells) is of the last logged training batch.\n\n")
            .Append("| grid point | cells | done | failed | steps | questions per cell | wrong | lowest answer accuracy | its 95 % interval | final train loss |\n")
            .Append("|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var point in rows.GroupBy(r => r.Cell.Index / spec.Seeds.Count))
        {
            var cells = point.ToList();
            var done = cells.Where(r => r.Status == "done").ToList();
            var asked = done.Where(r => r.Questions is > 0).ToList();
            var worst = asked.OrderBy(r => 1.0 - (double)r.Failures!.Value / r.Questions!.Value).FirstOrDefault();
            var interval = worst is null ? (ProbabilityInterval?)null : ClopperPearson.Interval(worst.Questions!.Value - worst.Failures!.Value, worst.Questions.Value);
            string[] fields =
            [
                cells[0].Cell.PointArguments.Length == 0 ? "(base)" : $"`{cells[0].Cell.PointArguments}`",
                Text(cells.Count), Text(done.Count), Text(cells.Count(r => r.Status == "failed")),
                done.Count == 0 ? "–" : string.Join(", ", done.Select(r => Text(r.Steps)).Distinct()),
                asked.Count == 0 ? "–" : string.Join(", ", asked.Select(r => r.Questions!.Value.ToString("N0", CultureInfo.InvariantCulture)).Distinct()),
                asked.Count == 0 ? "–" : string.Join(", ", asked.Select(r => Text(r.Failures))),
                worst is null ? "–" : Percentages.Of(1.0 - (double)worst.Failures!.Value / worst.Questions!.Value, worst.Questions.Value),
                interval is { } i ? $"[{Percentages.Of(i.Lower, worst!.Questions!.Value)}, {Percentages.Of(i.Upper, worst.Questions.Value)}]" : "–",
                SweepTable.MeanSd(done.Where(r => r.Loss is not null).Select(r => r.Loss!.Value), v => v.ToString("G3", CultureInfo.InvariantCulture)),
            ];
            text.Append("| ").Append(string.Join(" | ", fields.Select(f => f.Replace("|", "\\|", StringComparison.Ordinal)))).Append(" |\n");
        }
        return text.ToString();
    }

    private static double? Number(string[]? row, int column) =>
        row is not null && row.Length > column && double.TryParse(row[column], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static string Text(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Text(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "-";
}
