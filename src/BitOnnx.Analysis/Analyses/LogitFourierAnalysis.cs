using BitOnnx.Analysis.Fourier;
using BitOnnx.Core.Data;

namespace BitOnnx.Analysis.Analyses;

/// <summary>One 2-D Fourier component of the logits.</summary>
/// <param name="X">Basis row along a.</param>
/// <param name="Y">Basis row along b.</param>
/// <param name="XName">Its label, e.g. "cos 14".</param>
/// <param name="YName">Its label.</param>
/// <param name="Norm">√(Σ_c Â_c[x, y]²).</param>
/// <param name="Fraction">Share of the total logit variance (Σ over all components, Â[0,0] excluded).</param>
public sealed record FourierComponent(int X, int Y, string XName, string YName, double Norm, double Fraction);

/// <summary>Loss and accuracy of the logits over all inputs, and over the train / test split when known.</summary>
public sealed record LossSummary(double AllLoss, double AllAccuracy, double? TrainLoss, double? TrainAccuracy, double? TestLoss, double? TestAccuracy);

/// <summary>Norms of the logits' 2-D Fourier components (Li 2024 fig. 3 bottom; Nanda et al. 2023 fig. 3).</summary>
/// <param name="FourierNorms">[x·P + y]: √(Σ_c Â_c[x, y]²), Â_c = F·L_c·Fᵀ of the logit of output c, Â[0,0] = 0.</param>
/// <param name="TopComponents">The largest components, descending.</param>
/// <param name="Loss">Loss and accuracy.</param>
public sealed record LogitFourierResult(double[] FourierNorms, IReadOnlyList<FourierComponent> TopComponents, LossSummary Loss);

/// <summary>Computes <see cref="LogitFourierResult"/>.</summary>
public static class LogitFourierAnalysis
{
    /// <summary>Analyses last-position logits [P·P, P]; <paramref name="train"/> may be null when the split is unknown.</summary>
    public static LogitFourierResult Analyze(FourierBasis basis, float[] logits, IReadOnlyList<int>? train, int topCount = 20, Action<double>? progress = null)
    {
        int p = basis.P;
        var spectra = ChannelSpectra.Compute(basis, logits, p, progress: progress);
        var norms = spectra.SummedSquares.Select(Math.Sqrt).ToArray();
        double total = spectra.SummedSquares.Sum();
        var top = Enumerable.Range(0, p * p)
            .OrderByDescending(i => spectra.SummedSquares[i]).ThenBy(i => i)
            .Take(topCount)
            .Select(i => new FourierComponent(i / p, i % p, basis.RowName(i / p), basis.RowName(i % p), norms[i],
                total > 0 ? spectra.SummedSquares[i] / total : 0))
            .ToArray();
        return new LogitFourierResult(norms, top, Losses(logits, p, train));
    }

    /// <summary>Loss and accuracy over all rows, and over the split when <paramref name="train"/> is given.</summary>
    public static LossSummary Losses(float[] logits, int p, IReadOnlyList<int>? train)
    {
        var all = ModularAdditionLoss.AllRows(p);
        double allLoss = ModularAdditionLoss.Mean(logits, p, all), allAcc = ModularAdditionLoss.Accuracy(logits, p, all);
        if (train is null) return new LossSummary(allLoss, allAcc, null, null, null, null);
        var test = ModularAdditionLoss.Complement(p, train);
        return new LossSummary(allLoss, allAcc,
            ModularAdditionLoss.Mean(logits, p, train), ModularAdditionLoss.Accuracy(logits, p, train),
            ModularAdditionLoss.Mean(logits, p, test), ModularAdditionLoss.Accuracy(logits, p, test));
    }
}
