using BitOnnx.Core.Transcoders;

namespace BitOnnx.Analysis.Transcoders;

/// <summary>How well a transcoder stands in for the MLP over some rows: SAELens' fvu and l0 beside the splice's losses.</summary>
/// <param name="Fvu">Σ(y − ŷ)² / Σ(y − ȳ)² over the rows, ȳ their mean.</param>
/// <param name="L0">Mean number of active latents per row.</param>
public sealed record SplitMetrics(int Rows, double Fvu, double L0, SpliceLosses Losses);

/// <summary>
/// A trained transcoder's measures, on all P² pairs and on the test split the model never trained on: fvu, l0, the
/// splice's losses (<see cref="SpliceLosses"/>), and over all pairs the latents that never fire (SAELens'
/// dead_latents) and each latent's feature density (the fraction of pairs it fires on).
/// </summary>
public sealed record TranscoderMetrics(
    TranscoderConfig Config,
    TranscoderSource Source,
    SplitMetrics All,
    SplitMetrics Test,
    int DeadLatents,
    double[] FeatureDensity,
    double TrainSeconds,
    int Epochs,
    long Steps)
{
    /// <summary>The rewrite from the latents' explanations, when it was measured (explanation_ce_loss_score).</summary>
    public TranscoderRewrite? Rewrite { get; init; }

    /// <summary>
    /// The measures of latents [P², width] and their decoding ŷ [P², d_out] against the clean MLP output of
    /// <paramref name="splice"/>; the spliced logits are ŷ's.
    /// </summary>
    public static TranscoderMetrics Measure(TranscoderSplice splice, Transcoder transcoder, float[] latents, float[] yHat, IReadOnlyList<int> testRows,
        double trainSeconds, int epochs, long steps)
    {
        int width = transcoder.Config.Width, rows = splice.P * splice.P;
        var spliced = splice.Logits(yHat);
        var allRows = Enumerable.Range(0, rows).ToArray();
        SplitMetrics Split(IReadOnlyList<int> which) => new(which.Count, Fvu(splice.MlpOutput, yHat, transcoder.Config.DOut, which), L0(latents, width, which), splice.Losses(spliced, which));
        var density = new double[width];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++)
                if (latents[r * width + j] != 0) density[j]++;
        for (int j = 0; j < width; j++) density[j] /= rows;
        return new TranscoderMetrics(transcoder.Config, transcoder.Source, Split(allRows), Split(testRows), density.Count(d => d == 0), density,
            trainSeconds, epochs, steps);
    }

    /// <summary>Σ(y − ŷ)² / Σ(y − ȳ)² over <paramref name="rows"/> of [*, width] arrays, in double.</summary>
    public static double Fvu(ReadOnlySpan<float> y, ReadOnlySpan<float> yHat, int width, IReadOnlyList<int> rows)
    {
        var mean = new double[width];
        foreach (var r in rows)
            for (int o = 0; o < width; o++) mean[o] += y[r * width + o];
        for (int o = 0; o < width; o++) mean[o] /= rows.Count;
        double residual = 0, total = 0;
        foreach (var r in rows)
            for (int o = 0; o < width; o++)
            {
                double e = y[r * width + o] - yHat[r * width + o], d = y[r * width + o] - mean[o];
                residual += e * e;
                total += d * d;
            }
        return residual / total;
    }

    /// <summary>Mean count of non-zero latents per row over <paramref name="rows"/>.</summary>
    public static double L0(ReadOnlySpan<float> latents, int width, IReadOnlyList<int> rows)
    {
        long active = 0;
        foreach (var r in rows)
            foreach (var f in latents.Slice(r * width, width))
                if (f != 0) active++;
        return (double)active / rows.Count;
    }
}
