using System.Globalization;

namespace BitOnnx.Core.Training;

/// <summary>The loss curves of RUN/metrics.csv (header <c>epoch,train_loss,test_loss,test_acc</c>).</summary>
public sealed record TrainingMetrics(int[] Epochs, double[] TrainLoss, double[] TestLoss, double[] TestAccuracy)
{
    /// <summary>Expected header.</summary>
    public const string Header = "epoch,train_loss,test_loss,test_acc";

    /// <summary>Parses the CSV text; <paramref name="path"/> only names the file in errors.</summary>
    public static TrainingMetrics Parse(string text, string path)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0) throw new InvalidDataException($"{path} is empty; expected the header '{Header}'.");
        var header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        int Col(string name) => Array.IndexOf(header, name) is var i and >= 0
            ? i
            : throw new InvalidDataException($"{path}: header '{lines[0]}' lacks column '{name}' (expected '{Header}').");
        int ce = Col("epoch"), ctr = Col("train_loss"), cte = Col("test_loss"), cacc = Col("test_acc");
        int n = lines.Length - 1;
        var m = new TrainingMetrics(new int[n], new double[n], new double[n], new double[n]);
        for (int i = 0; i < n; i++)
        {
            var f = lines[i + 1].Split(',');
            if (f.Length < header.Length)
                throw new InvalidDataException($"{path} line {i + 2}: {f.Length} fields, the header has {header.Length}.");
            m.Epochs[i] = int.Parse(f[ce], NumberStyles.Integer, CultureInfo.InvariantCulture);
            m.TrainLoss[i] = ParseNumber(f[ctr], path, i + 2);
            m.TestLoss[i] = ParseNumber(f[cte], path, i + 2);
            m.TestAccuracy[i] = ParseNumber(f[cacc], path, i + 2);
        }
        return m;
    }

    private static double ParseNumber(string s, string path, int line) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v
            : throw new InvalidDataException($"{path} line {line}: '{s}' is not a number.");
}
