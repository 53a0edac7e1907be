namespace BitOnnx.Core.Training;

/// <summary>The loss curves of RUN/metrics.csv as columns, for plots (<see cref="MetricsRow"/> reads the file).</summary>
public sealed record TrainingMetrics(int[] Epochs, double[] TrainLoss, double[] TestLoss, double[] TestAccuracy)
{
    public static TrainingMetrics From(IReadOnlyList<MetricsRow> rows) => new(
        rows.Select(r => r.Epoch).ToArray(), rows.Select(r => r.TrainLoss).ToArray(),
        rows.Select(r => r.TestLoss).ToArray(), rows.Select(r => r.TestAccuracy).ToArray());
}
