using System.Globalization;

namespace BitOnnx.Core.Training;

/// <summary>
/// One logged epoch. Train loss is the loss of the step's own forward pass (before its update, as both papers log it);
/// test loss and accuracy are measured on the weights after the update.
/// </summary>
public sealed record MetricsRow(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy)
{
    public const string Header = "epoch,train_loss,test_loss,test_acc";

    public string ToCsv() => string.Create(CultureInfo.InvariantCulture, $"{Epoch},{TrainLoss:R},{TestLoss:R},{TestAccuracy:R}");

    public static MetricsRow Parse(string line)
    {
        var f = line.Split(',');
        if (f.Length != 4) throw new FormatException($"metrics line '{line}' does not have 4 fields.");
        return new MetricsRow(int.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture),
            double.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture));
    }
}
