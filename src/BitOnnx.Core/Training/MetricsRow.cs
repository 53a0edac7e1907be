using System.Globalization;

namespace BitOnnx.Core.Training;

/// <summary>
/// One logged epoch. Train loss is the loss of the step's own forward pass (before its update, as both papers log it);
/// test loss and accuracy are measured on the weights after the update.
/// </summary>
public sealed record MetricsRow(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy)
{
    /// <summary>The header of RUN/metrics.csv.</summary>
    public const string Header = "epoch,train_loss,test_loss,test_acc";

    public string ToCsv() => string.Create(CultureInfo.InvariantCulture, $"{Epoch},{TrainLoss:R},{TestLoss:R},{TestAccuracy:R}");

    /// <summary>
    /// Every row of a metrics.csv text, the header checked; <paramref name="path"/> names the file in errors. A NaN or
    /// infinite loss is refused: the trainer never logs one (it stops with an error first), so such a row is corrupt.
    /// </summary>
    public static IReadOnlyList<MetricsRow> ParseFile(string text, string path)
    {
        // Every row is written with its newline, so a file that does not end in one was cut short (a crash mid-append).
        if (text.Length > 0 && text[^1] != '\n')
            throw new RunFolderException(path, $"{path} does not end with a newline: its last row was cut short. Resume the run to rewrite it.");
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0 || lines[0].Trim() != Header)
            throw new RunFolderException(path, $"{path} does not start with the header '{Header}'; it is not a metrics.csv written by bitonnx train.");
        var rows = new MetricsRow[lines.Length - 1];
        for (var i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split(',');
            if (f.Length != 4)
                throw new RunFolderException(path, $"{path} line {i + 1}: {f.Length} fields, the header has 4.");
            if (!int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
                throw new RunFolderException(path, $"{path} line {i + 1}: epoch '{f[0]}' is not a whole number.");
            rows[i - 1] = new MetricsRow(epoch, Number(f[1], path, i + 1), Number(f[2], path, i + 1), Number(f[3], path, i + 1));
        }
        return rows;
    }

    private static double Number(string s, string path, int line) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new RunFolderException(path, $"{path} line {line}: '{s}' is not a finite number.");
}
