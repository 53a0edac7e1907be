namespace BitOnnx.Analysis.Progress;

/// <summary>
/// Boundaries of Nanda et al. 2023's three phases (§5.2): memorisation, circuit formation, cleanup. The paper draws
/// them by eye; these are reproducible estimates from the loss curves, labelled as such in the report:
/// memorisation ends at the test-loss peak (≈1.4k epochs in the paper's run), cleanup starts when the test loss has
/// fallen to half that peak, and ends when test accuracy reaches 99% (or, without accuracy, the test loss 1% of the peak).
/// </summary>
/// <param name="MemorizationEnd">Epoch of the test-loss peak, or null when the curve has no interior peak.</param>
/// <param name="CleanupStart">Epoch the test loss first falls to half its peak, or null.</param>
/// <param name="CleanupEnd">Epoch test accuracy first reaches 99%, or null.</param>
public sealed record GrokkingPhases(int? MemorizationEnd, int? CleanupStart, int? CleanupEnd)
{
    /// <summary>How the boundaries were estimated (shown beside the plots).</summary>
    public const string Method =
        "Phase boundaries estimated from the loss curves: memorisation ends at the test-loss peak; cleanup starts when " +
        "test loss has fallen to half that peak and ends when test accuracy reaches 99% (Nanda et al. 2023 draw them by eye).";

    /// <summary>Estimates the boundaries; <paramref name="testAccuracy"/> may be null.</summary>
    public static GrokkingPhases Estimate(IReadOnlyList<int> epochs, IReadOnlyList<double> testLoss, IReadOnlyList<double>? testAccuracy)
    {
        int n = epochs.Count;
        if (n < 3 || testLoss.Count != n) return new GrokkingPhases(null, null, null);
        int peak = 0;
        for (int i = 1; i < n; i++) if (testLoss[i] > testLoss[peak]) peak = i;
        int? memorizationEnd = peak > 0 && peak < n - 1 ? epochs[peak] : null;

        int? cleanupStart = null;
        int startIndex = n;
        for (int i = peak + 1; i < n; i++)
        {
            if (testLoss[i] <= 0.5 * testLoss[peak])
            {
                cleanupStart = epochs[i];
                startIndex = i;
                break;
            }
        }

        int? cleanupEnd = null;
        for (int i = startIndex; i < n; i++)
        {
            bool done = testAccuracy is { } acc && acc.Count == n && !double.IsNaN(acc[i])
                ? acc[i] >= 0.99
                : testLoss[i] <= 0.01 * testLoss[peak];
            if (done)
            {
                cleanupEnd = epochs[i];
                break;
            }
        }
        return new GrokkingPhases(memorizationEnd, cleanupStart, cleanupEnd);
    }
}
