using BitOnnx.Analysis.Analyses;
using BitOnnx.Analysis.Fourier;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Kernels;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis.Progress;

/// <summary>One training checkpoint, exported and run: its probes over all P² inputs and its folded weights.</summary>
/// <param name="Epoch">Training epoch of the checkpoint.</param>
/// <param name="Probes">Its probes (logits at least).</param>
/// <param name="Weights">Its folded weights (what the forward pass multiplies by): W_E, W_out, W_U for the Gini coefficients.</param>
/// <param name="LatentWeights">
/// The trained (latent) weights, when they differ from the folded ones (binary / ternary models): weight decay acts on
/// these, so Σw² is taken over them; null: over <paramref name="Weights"/>.
/// </param>
public sealed record CheckpointInputs(int Epoch, IProbeSource Probes, IWeightSource Weights, IWeightSource? LatentWeights = null);

/// <summary>Nanda et al. 2023's progress measures as series over checkpoints (index i ↔ Epochs[i]).</summary>
/// <param name="KeyFrequencies">The key frequencies the restricted / excluded losses use.</param>
/// <param name="Epochs">Checkpoint epochs, ascending.</param>
/// <param name="TrainLoss">Loss on the training inputs.</param>
/// <param name="TestLoss">Loss on the other inputs.</param>
/// <param name="RestrictedLoss">Loss on all inputs with only the key-frequency components of the logits kept.</param>
/// <param name="ExcludedLoss">Loss on the training inputs with the key-frequency components removed.</param>
/// <param name="GiniEmbedding">Gini coefficient of the Fourier norms ‖F·W_E[:P]‖ (per basis row).</param>
/// <param name="GiniNeuronLogit">Gini coefficient of the Fourier norms of W_L = W_out·W_U over the output (per basis row).</param>
/// <param name="SumSquaredWeights">Σ w² over every weight of the latent weight source (else the folded one).</param>
public sealed record ProgressSeries(
    int[] KeyFrequencies, int[] Epochs, double[] TrainLoss, double[] TestLoss, double[] RestrictedLoss, double[] ExcludedLoss,
    double[] GiniEmbedding, double[] GiniNeuronLogit, double[] SumSquaredWeights);

/// <summary>Computes <see cref="ProgressSeries"/> (Nanda et al. 2023, §5.1, "progress measures").</summary>
public static class ProgressMeasures
{
    /// <summary>Probes every checkpoint must provide.</summary>
    public static readonly IReadOnlyList<string> RequiredProbes = [HookNames.Logits];

    /// <summary>
    /// Computes the measures. <paramref name="keyFrequencies"/> are usually those of the final model (as in the
    /// paper): the restricted / excluded losses then show when that model's circuit forms.
    /// </summary>
    public static ProgressSeries Compute(IReadOnlyList<CheckpointInputs> checkpoints, IReadOnlyList<int> trainRows,
        IReadOnlyList<int> keyFrequencies, IProgress<AnalysisProgress>? progress = null)
    {
        if (checkpoints.Count == 0) throw new ArgumentException("Progress measures need at least one checkpoint.", nameof(checkpoints));
        int p = checkpoints[0].Probes.P;
        var ordered = checkpoints.OrderBy(c => c.Epoch).ToArray();
        var basis = new FourierBasis(p);
        var testRows = ModularAdditionLoss.Complement(p, trainRows.ToArray());
        int n = ordered.Length;
        var directions = FrequencyAblation.SumDirections(p, keyFrequencies);
        var s = new ProgressSeries(keyFrequencies.ToArray(), ordered.Select(c => c.Epoch).ToArray(),
            new double[n], new double[n], new double[n], new double[n], new double[n], new double[n], new double[n]);

        for (int i = 0; i < n; i++)
        {
            var cp = ordered[i];
            if (cp.Probes.P != p)
                throw new AnalysisInputException($"Checkpoint at epoch {cp.Epoch} has P = {cp.Probes.P}, the first has P = {p}.");
            RequireProbes(cp);
            var logits = ProbeViews.Logits(cp.Probes);
            s.TrainLoss[i] = ModularAdditionLoss.Mean(logits, p, trainRows);
            s.TestLoss[i] = ModularAdditionLoss.Mean(logits, p, testRows);
            if (directions.Length > 0)
            {
                var projection = FrequencyAblation.Projection(logits, p, directions);
                s.ExcludedLoss[i] = FrequencyAblation.ExcludedLoss(logits, p, projection, trainRows);
                s.RestrictedLoss[i] = FrequencyAblation.RestrictedLoss(logits, p, projection);
            }
            else
            {
                s.ExcludedLoss[i] = s.RestrictedLoss[i] = double.NaN;
            }

            var embedding = ProbeViews.NumberEmbedding(cp.Probes, cp.Weights, out int dModel);
            var rowNorms = new double[p];
            var projected = new double[p * dModel];
            MatMul.Multiply(basis.Matrix, embedding, projected, p, p, dModel, parallel: false);
            for (int r = 0; r < p; r++) rowNorms[r] = RowNorm(projected, r, dModel);
            s.GiniEmbedding[i] = Gini.Of(rowNorms);
            s.GiniNeuronLogit[i] = Gini.Of(NeuronLogitFourierNorms(basis, cp));
            s.SumSquaredWeights[i] = SumOfSquares(cp.LatentWeights ?? cp.Weights);
            progress?.Report(new AnalysisProgress("progress measures", (i + 1.0) / n));
        }
        return s;
    }

    /// <summary>
    /// ‖(W_L·Fᵀ)[:, r]‖ for each basis row r, with W_L = W_out·W_U [d_mlp, P] of the last block (the MLP whose output the
    /// unembedding reads directly; Nanda et al.'s one-layer model has only that one).
    /// </summary>
    public static double[] NeuronLogitFourierNorms(FourierBasis basis, CheckpointInputs cp)
    {
        int p = basis.P;
        var lastBlock = Math.Max(AnalysedLayer.CountBlocks(cp.Weights.Names), 1) - 1;
        var wOut = ProbeViews.Matrix(RequireWeight(cp, ParameterNames.MlpOut(lastBlock)), -1, -1, out int dMlp, out int dModel);
        var wU = ProbeViews.Matrix(RequireWeight(cp, ParameterNames.Unembed), dModel, p, out _, out _);
        var wL = new double[dMlp * p];
        MatMul.Multiply(wOut, wU, wL, dMlp, dModel, p, parallel: false);
        // (W_L·Fᵀ)[n, r] = Σ_c W_L[n, c]·F[r, c]; build Fᵀ once.
        var ft = new double[p * p];
        for (int r = 0; r < p; r++)
            for (int c = 0; c < p; c++) ft[c * p + r] = basis[r, c];
        var inBasis = new double[dMlp * p];
        MatMul.Multiply(wL, ft, inBasis, dMlp, p, p, parallel: false);
        var norms = new double[p];
        for (int r = 0; r < p; r++)
        {
            double sum = 0;
            for (int n = 0; n < dMlp; n++) sum += inBasis[n * p + r] * inBasis[n * p + r];
            norms[r] = Math.Sqrt(sum);
        }
        return norms;
    }

    /// <summary>Σ w² over every weight tensor of the source, in double.</summary>
    public static double SumOfSquares(IWeightSource weights)
    {
        double total = 0;
        foreach (var name in weights.Names.OrderBy(n => n, StringComparer.Ordinal))
        {
            if (!weights.TryGet(name, out var w)) continue;
            foreach (var v in w.Data) total += (double)v * v;
        }
        return total;
    }

    private static double RowNorm(double[] m, int r, int width)
    {
        double s = 0;
        for (int d = 0; d < width; d++) s += m[r * width + d] * m[r * width + d];
        return Math.Sqrt(s);
    }

    private static void RequireProbes(CheckpointInputs cp)
    {
        var names = cp.Probes.Names.ToHashSet(StringComparer.Ordinal);
        var missing = new Dictionary<string, IReadOnlyList<string>>();
        if (!names.Contains(HookNames.Logits)) missing[HookNames.Logits] = ["progress measures (losses)"];
        if (!names.Contains(HookNames.Embed) && !cp.Weights.TryGet(ParameterNames.Embed, out _))
            missing[HookNames.Embed] = ["progress measures (Gini of W_E; or supply the weight embed.W_E)"];
        if (missing.Count > 0) throw new MissingProbesException($"checkpoint at epoch {cp.Epoch}", missing);
    }

    private static ProbeTensor RequireWeight(CheckpointInputs cp, string name) =>
        cp.Weights.TryGet(name, out var w)
            ? w
            : throw new AnalysisInputException(
                $"Checkpoint at epoch {cp.Epoch}: the weight source lacks '{name}', which the Gini coefficient of W_L = W_out·W_U needs. " +
                $"It holds: {string.Join(", ", cp.Weights.Names)}.");
}
