using BitOnnx.Analysis.Progress;

namespace BitOnnx.Analysis.Report;

/// <summary>One model's part of a report: its analysis and, when checkpoints were analysed, its progress measures.</summary>
/// <param name="Analysis">The model's analysis.</param>
/// <param name="Progress">Progress measures over its checkpoints, if computed.</param>
public sealed record ReportModel(ModelAnalysis Analysis, ProgressSeries? Progress = null)
{
    /// <summary>Loss curves: from the run's metrics.csv when known, else from the progress series.</summary>
    public (int[] Epochs, double[] Train, double[] Test, double[]? TestAccuracy)? LossCurves
    {
        get
        {
            if (Analysis.Run?.Metrics is { } m) return (m.Epochs, m.TrainLoss, m.TestLoss, m.TestAccuracy);
            if (Progress is { } s) return (s.Epochs, s.TrainLoss, s.TestLoss, null);
            return null;
        }
    }

    /// <summary>Grokking phases estimated from the loss curves.</summary>
    public GrokkingPhases? Phases => LossCurves is { } c ? GrokkingPhases.Estimate(c.Epochs, c.Test, c.TestAccuracy) : null;
}
