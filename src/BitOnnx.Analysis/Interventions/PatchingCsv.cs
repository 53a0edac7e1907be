using System.Globalization;
using System.Text;
using BitOnnx.Core.Checkpoints;

namespace BitOnnx.Analysis.Interventions;

/// <summary>
/// A patching table as CSV, a format scripts may read: columns <c>component,metric,value,effect,restored,attribution</c>;
/// the first rows are <c>clean</c> and <c>corrupted</c> (the two runs as they are), then every node sorted by effect, largest
/// first. value is the metric with the node patched, effect value − corrupted, restored effect / (clean − corrupted),
/// attribution the linear estimate of effect (empty without one); numbers round-trip.
/// </summary>
public static class PatchingCsv
{
    public const string Header = "component,metric,value,effect,restored,attribution";

    public static string Format(PatchingResult table)
    {
        var text = new StringBuilder(Header).Append('\n');
        var metric = table.MetricName.Replace(' ', '-');
        void Row(string component, double value, double effect, double restored, double? attribution) =>
            text.Append(string.Create(CultureInfo.InvariantCulture,
                $"{component},{metric},{value:R},{effect:R},{restored:R},{(attribution is { } a ? a.ToString("R", CultureInfo.InvariantCulture) : "")}")).Append('\n');
        var gap = table.Clean - table.Corrupt;
        Row("clean", table.Clean, gap, gap == 0 ? double.NaN : 1, null);
        Row("corrupted", table.Corrupt, 0, 0, null);
        foreach (var row in table.Rows) Row(row.Node.Component.Contains(',') ? $"\"{row.Node.Component}\"" : row.Node.Component, row.Value, row.Effect, row.Restored, row.Attribution);
        return text.ToString();
    }

    public static void Write(string path, PatchingResult table) => AtomicFile.WriteText(path, Format(table));
}
