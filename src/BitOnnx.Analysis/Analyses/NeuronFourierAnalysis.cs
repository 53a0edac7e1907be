using BitOnnx.Analysis.Fourier;

namespace BitOnnx.Analysis.Analyses;

/// <summary>One neuron's (a, b) activation map and the norms of its 2-D Fourier components.</summary>
/// <param name="Neuron">Neuron index.</param>
/// <param name="Activation">hook_post at the last position as a P×P map [a, b].</param>
/// <param name="FourierNorms">|Â[x, y]| with Â = F·A·Fᵀ and Â[0,0] = 0, P×P [x, y].</param>
/// <param name="BestFrequency">Frequency whose degree-2 polynomials explain most of the variance (0 if dead).</param>
/// <param name="BestFve">That fraction of variance explained.</param>
public sealed record NeuronMap(int Neuron, double[] Activation, double[] FourierNorms, int BestFrequency, double BestFve);

/// <summary>Summary of the per-neuron best FVE.</summary>
/// <param name="Neurons">All neurons.</param>
/// <param name="Dead">Neurons whose map is constant over (a, b) (no variance to explain; excluded from the rest).</param>
/// <param name="Mean">Mean best FVE over live neurons.</param>
/// <param name="Median">Median best FVE over live neurons.</param>
/// <param name="FractionAbove085">Fraction of live neurons with best FVE ≥ 0.85 (Nanda et al.'s "well explained").</param>
/// <param name="FractionAbove05">Fraction of live neurons with best FVE ≥ 0.5.</param>
public sealed record FveStatistics(int Neurons, int Dead, double Mean, double Median, double FractionAbove085, double FractionAbove05);

/// <summary>Per-neuron Fourier analysis of the MLP (Li 2024 figs. 5–6; Nanda et al. 2023 §4.3).</summary>
/// <param name="DMlp">Number of neurons.</param>
/// <param name="Frequencies">Number of frequencies F (columns of <see cref="Fve"/>).</param>
/// <param name="Fve">[neuron, f−1]: fraction of variance explained by degree-2 polynomials of frequency f.</param>
/// <param name="BestFrequency">Per neuron, argmax_f of FVE (0 for dead neurons).</param>
/// <param name="BestFve">Per neuron, max_f of FVE (NaN for dead neurons).</param>
/// <param name="Stats">Summary of <see cref="BestFve"/>.</param>
/// <param name="ClusterSizes">Frequency → neurons clustered there (best FVE ≥ the cluster threshold).</param>
/// <param name="Unclustered">Live neurons below the cluster threshold.</param>
/// <param name="KeyFrequencies">Frequencies whose cluster is large enough to be key (Nanda's per-neuron method).</param>
/// <param name="FveHistogram">Histogram of best FVE over live neurons, 50 bins on [0, 1].</param>
/// <param name="Maps">Maps of the neurons chosen for display.</param>
public sealed record NeuronFourierResult(
    int DMlp, int Frequencies, double[] Fve, int[] BestFrequency, double[] BestFve, FveStatistics Stats,
    IReadOnlyDictionary<int, int> ClusterSizes, int Unclustered, int[] KeyFrequencies, Histogram FveHistogram,
    IReadOnlyList<NeuronMap> Maps);

/// <summary>Computes <see cref="NeuronFourierResult"/> from hook_post at the last position.</summary>
public static class NeuronFourierAnalysis
{
    /// <summary>
    /// Analyses <paramref name="activations"/> [P·P, d_mlp]. FVE of frequency f for a neuron = Σ Â[x,y]² over
    /// x, y in {const, cos f, sin f} / Σ over all x, y, with Â[0,0] = 0 in both (Li 2024, after Nanda et al. 2023).
    /// </summary>
    /// <param name="shownNeurons">Neurons whose maps to keep; null: the <see cref="DefaultShown"/> with the largest activation variance.</param>
    public static NeuronFourierResult Analyze(FourierBasis basis, float[] activations, int dMlp,
        IReadOnlyList<int>? shownNeurons, KeyFrequencyOptions options, Action<double>? progress = null)
    {
        int p = basis.P, pp = p * p, nf = basis.FrequencyCount;
        var outside = shownNeurons?.Where(n => n < 0 || n >= dMlp).ToArray() ?? [];
        if (outside.Length > 0)
            throw new AnalysisInputException($"Neuron(s) {string.Join(", ", outside)} do not exist: the MLP has neurons 0..{dMlp - 1}.");
        var shown = shownNeurons?.Distinct().ToArray() ?? MostVarying(activations, dMlp, DefaultShown);
        var spectra = ChannelSpectra.Compute(basis, activations, dMlp, shown, progress);

        double maxTotal = spectra.TotalEnergy.DefaultIfEmpty(0).Max();
        var fve = new double[dMlp * nf];
        var best = new int[dMlp];
        var bestFve = new double[dMlp];
        int dead = 0;
        for (int n = 0; n < dMlp; n++)
        {
            double total = spectra.TotalEnergy[n];
            if (total <= 1e-12 * maxTotal || total == 0)
            {
                dead++;
                bestFve[n] = double.NaN;
                for (int f = 0; f < nf; f++) fve[n * nf + f] = double.NaN;
                continue;
            }
            int arg = 0;
            for (int f = 0; f < nf; f++)
            {
                double v = spectra.BlockEnergy[n * nf + f] / total;
                fve[n * nf + f] = v;
                if (v > fve[n * nf + arg]) arg = f;
            }
            best[n] = arg + 1;
            bestFve[n] = fve[n * nf + arg];
        }

        var live = bestFve.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToArray();
        var stats = new FveStatistics(
            dMlp, dead,
            live.Length == 0 ? double.NaN : live.Average(),
            live.Length == 0 ? double.NaN : Median(live),
            live.Length == 0 ? double.NaN : live.Count(v => v >= 0.85) / (double)live.Length,
            live.Length == 0 ? double.NaN : live.Count(v => v >= 0.5) / (double)live.Length);

        var clusters = new SortedDictionary<int, int>();
        int unclustered = 0;
        for (int n = 0; n < dMlp; n++)
        {
            if (double.IsNaN(bestFve[n])) continue;
            if (bestFve[n] >= options.NeuronClusterMinFve)
            {
                clusters[best[n]] = clusters.GetValueOrDefault(best[n]) + 1;
            }
            else
            {
                unclustered++;
            }
        }
        int minCluster = Math.Max(2, (int)Math.Ceiling(options.NeuronClusterMinFraction * dMlp));
        var keys = clusters.Where(kv => kv.Value >= minCluster).Select(kv => kv.Key).ToArray();

        var maps = shown.Select(n =>
        {
            var activation = new double[pp];
            for (int row = 0; row < pp; row++) activation[row] = activations[row * dMlp + n];
            var norms = spectra.Kept[n].Select(Math.Abs).ToArray();
            return new NeuronMap(n, activation, norms, best[n], bestFve[n]);
        }).ToArray();

        return new NeuronFourierResult(dMlp, nf, fve, best, bestFve, stats, clusters, unclustered, keys,
            Histogram.Of(live, 0, 1, 50), maps);
    }

    /// <summary>Neurons shown when none are asked for.</summary>
    public const int DefaultShown = 4;

    /// <summary>
    /// The <paramref name="count"/> neurons whose activation varies most over (a, b), largest first: the ones that carry
    /// the most of the MLP's signal, and never a dead one (a dead neuron's variance is 0) unless fewer are alive.
    /// </summary>
    public static int[] MostVarying(float[] activations, int dMlp, int count)
    {
        int rows = activations.Length / dMlp;
        var sum = new double[dMlp];
        var squares = new double[dMlp];
        for (int row = 0; row < rows; row++)
            for (int n = 0; n < dMlp; n++)
            {
                double v = activations[row * dMlp + n];
                sum[n] += v;
                squares[n] += v * v;
            }
        return Enumerable.Range(0, dMlp)
            .Select(n => (Neuron: n, Variance: squares[n] / rows - sum[n] / rows * (sum[n] / rows)))
            .Where(x => x.Variance > 0)
            .OrderByDescending(x => x.Variance).ThenBy(x => x.Neuron)
            .Take(count).Select(x => x.Neuron).ToArray();
    }

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
}
