using System.Globalization;
using System.Text;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Training;

namespace BitOnnx.Pipelines.Sweep;

/// <summary>
/// One cell as the table shows it: "done" with its final logged numbers and the first logged epoch at ≥ 99% test
/// accuracy (from its metrics.csv), "failed" with its error, or "pending" (not ended: never run, running, stopped).
/// </summary>
public sealed record SweepRow(SweepCell Cell, string Status, int? Epochs, MetricsRow? Final, int? EpochAt99, string? Error);

/// <summary>
/// `bitonnx sweep --collect`: OUT/table.tsv, a row per cell in cell order, and OUT/table.md, the mean ± sd of each grid
/// point over its done cells (the seeds). Both are functions of the cells' files alone, so any set of workers that ran
/// the same cells writes the same bytes.
/// </summary>
public static class SweepTable
{
    /// <summary>The test accuracy whose first logged epoch the table reports.</summary>
    public const double Grokked = 0.99;

    public static IReadOnlyList<SweepRow> Rows(SweepFolder folder) => folder.Plan.Cells.Select(cell =>
    {
        var status = folder.ReadStatus(cell.Index);
        if (status is null) return new SweepRow(cell, "pending", null, null, null, null);
        if (status.State == CellState.Failed) return new SweepRow(cell, "failed", null, null, null, status.Error);
        var metrics = new RunFolder(folder.CellDirectory(cell.Index)).ReadMetrics();
        return new SweepRow(cell, "done", status.Epoch, metrics.LastOrDefault(), metrics.FirstOrDefault(m => m.TestAccuracy >= Grokked)?.Epoch, null);
    }).ToList();

    /// <summary>
    /// Writes table.tsv and table.md (each whole, temp + rename) and returns each cell's status: an arithmetic sweep's
    /// tables are <see cref="SequenceSweepTable"/>'s.
    /// </summary>
    public static IReadOnlyList<(SweepCell Cell, string Status, string? Error)> Write(SweepFolder folder)
    {
        if (folder.Plan.Cells.Count > 0 && folder.Plan.Cells[0].IsArithmetic)
        {
            var sequence = SequenceSweepTable.Rows(folder);
            AtomicFile.WriteText(folder.TableTsv, SequenceSweepTable.Tsv(sequence));
            AtomicFile.WriteText(folder.TableMarkdown, SequenceSweepTable.Markdown(folder.Plan.Spec, sequence));
            return sequence.Select(r => (r.Cell, r.Status, r.Error)).ToList();
        }
        var rows = Rows(folder);
        AtomicFile.WriteText(folder.TableTsv, Tsv(rows));
        AtomicFile.WriteText(folder.TableMarkdown, Markdown(folder.Plan.Spec, rows));
        return rows.Select(r => (r.Cell, r.Status, r.Error)).ToList();
    }

    public static string Tsv(IReadOnlyList<SweepRow> rows)
    {
        var text = new StringBuilder("index\targuments\tseed\tstatus\tepochs\ttrain_loss\ttest_loss\ttest_acc\tepoch_99\terror\n");
        foreach (var r in rows)
        {
            string[] fields =
            [
                Text(r.Cell.Index), r.Cell.ArgumentsWithoutSeed, Text(r.Cell.Seed), r.Status, Text(r.Epochs),
                Text(r.Final?.TrainLoss), Text(r.Final?.TestLoss), Text(r.Final?.TestAccuracy), Text(r.EpochAt99),
                r.Error?.ReplaceLineEndings(" ").Replace('\t', ' ') ?? "-",
            ];
            text.Append(string.Join('\t', fields)).Append('\n');
        }
        return text.ToString();
    }

    public static string Markdown(SweepSpec spec, IReadOnlyList<SweepRow> rows)
    {
        var seeds = string.Join(", ", spec.Seeds.Select(s => Text(s)));
        var text = new StringBuilder($"# Sweep: {rows.Count} cells\n\n")
            .Append($"Base: {(spec.Base.Length == 0 ? "none" : $"`{spec.Base}`")}. Seeds: {seeds}. Each row is a grid point: mean ± sd (sample) over its done ")
            .Append("cells, one value where one is done; the epoch at 99 % is the first logged epoch with test accuracy ≥ 99 %, over the cells that reached it.\n\n")
            .Append("| grid point | cells | done | failed | reached 99 % | epoch at 99 % | final train loss | final test loss | final test acc |\n")
            .Append("|---|---|---|---|---|---|---|---|---|\n");
        foreach (var point in rows.GroupBy(r => r.Cell.Index / spec.Seeds.Count))
        {
            var cells = point.ToList();
            var done = cells.Where(r => r.Status == "done").ToList();
            var reached = done.Where(r => r.EpochAt99 is not null).ToList();
            string[] fields =
            [
                cells[0].Cell.PointArguments.Length == 0 ? "(base)" : $"`{cells[0].Cell.PointArguments}`",
                Text(cells.Count), Text(done.Count), Text(cells.Count(r => r.Status == "failed")), Text(reached.Count),
                MeanSd(reached.Select(r => (double)r.EpochAt99!.Value), v => v.ToString("F0", CultureInfo.InvariantCulture)),
                MeanSd(done.Select(r => r.Final!.TrainLoss), v => v.ToString("G3", CultureInfo.InvariantCulture)),
                MeanSd(done.Select(r => r.Final!.TestLoss), v => v.ToString("G3", CultureInfo.InvariantCulture)),
                MeanSd(done.Select(r => r.Final!.TestAccuracy * 100), v => v.ToString("F2", CultureInfo.InvariantCulture)) + (done.Count > 0 ? " %" : ""),
            ];
            text.Append("| ").Append(string.Join(" | ", fields.Select(f => f.Replace("|", "\\|", StringComparison.Ordinal)))).Append(" |\n");
        }
        return text.ToString();
    }

    /// <summary>"mean ± sd" with the sample sd (n − 1); the value alone for one; "–" for none.</summary>
    public static string MeanSd(IEnumerable<double> values, Func<double, string> format)
    {
        var v = values.ToList();
        if (v.Count == 0) return "–";
        var mean = v.Average();
        if (v.Count == 1) return format(mean);
        var sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
        return $"{format(mean)} ± {format(sd)}";
    }

    private static string Text(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Text(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "-";
}
