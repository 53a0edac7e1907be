using System.Globalization;
using System.Text;
using BitOnnx.Core.Checkpoints;

namespace BitOnnx.Analysis.Interventions;

/// <summary>
/// An ablation table as CSV, a format scripts may read: columns <c>component,kind,loss,accuracy</c>; the first row is
/// <c>none</c> (the model as it is, kind <c>none</c>), then every component sorted by the loss it adds, largest first;
/// numbers round-trip.
/// </summary>
public static class AblationCsv
{
    public const string Header = "component,kind,loss,accuracy";

    public static string Format(AblationResult table)
    {
        var text = new StringBuilder(Header).Append('\n');
        void Row(string component, string kind, double loss, double accuracy) =>
            text.Append(string.Create(CultureInfo.InvariantCulture, $"{component},{kind},{loss:R},{accuracy:R}")).Append('\n');
        Row("none", "none", table.None.Loss, table.None.Accuracy);
        foreach (var row in table.Rows) Row(row.Component, table.KindName, row.Loss, row.Accuracy);
        return text.ToString();
    }

    public static void Write(string path, AblationResult table) => AtomicFile.WriteText(path, Format(table));
}
