using System.Numerics.Tensors;
using BitOnnx.Analysis.Fourier;
using BitOnnx.Core.Explanations;

namespace BitOnnx.Analysis.Explanations;

/// <summary>
/// The thresholds an explanation is judged by. A unit is explained when one formula explains at least
/// <see cref="ExplainedFraction"/> of its variance: 0.9, so that what the formula leaves out is at most a tenth, about
/// the noise of a binary model's neurons (Li 2024's median FVE there is 0.49, full precision's 0.95). It is polysemantic
/// when no one-frequency fit reaches that and two frequencies each carry at least <see cref="PolysemanticShare"/> of the
/// variance: 0.2, above what a ReLU of one frequency leaves in its second harmonic (max(cos θ, 0) puts 15% of its
/// variance at 2f) and far above noise spread over P/2 frequencies.
/// </summary>
public sealed record ExplainerOptions
{
    public double ExplainedFraction { get; init; } = 0.9;

    public double PolysemanticShare { get; init; } = 0.2;

    /// <summary>How many of the largest frequencies a one-frequency fit tries.</summary>
    public int Candidates { get; init; } = 2;

    /// <summary>Whether a ReLU of the polynomial may explain a unit that is never negative (off: polynomials only).</summary>
    public bool Relu { get; init; } = true;

    /// <summary>What a unit is called in its sentence: "neuron", "latent".</summary>
    public string UnitName { get; init; } = "neuron";
}

/// <summary>
/// Explains a unit whose activation is a function of (a, b) (an MLP neuron at the last position, a transcoder latent)
/// by a formula in the 2-D Fourier basis (Nanda et al. 2023): the best one-frequency degree-2 polynomial, or ReLU of
/// one (fitted as a whole, since a neuron is a ReLU of its pre-activation), whichever explains more of the variance;
/// two frequencies for a polysemantic unit; a constant for a dead one. Paulo and Belrose (2025, arXiv 2501.18838)
/// explain latents in words and simulate them from the words; here the explanation is a formula, so the simulation
/// (<see cref="UnitSimulator"/>) is exact to what the explanation says.
/// </summary>
public static class UnitExplainer
{
    /// <summary>Explains one map, map[a, b].</summary>
    public static UnitExplanation Explain(float[,] map, int unit = 0, ExplainerOptions? options = null)
    {
        int p = map.GetLength(0);
        if (map.GetLength(1) != p) throw new AnalysisInputException($"A unit's map is P×P over (a, b); this one is {p}×{map.GetLength(1)}.");
        var flat = new double[p * p];
        for (var a = 0; a < p; a++)
            for (var b = 0; b < p; b++) flat[a * p + b] = map[a, b];
        return Explain(new FourierBasis(p), flat, unit, options ?? new ExplainerOptions());
    }

    /// <summary>Explains every unit of <paramref name="activations"/> [P², units] (row a·P + b, unit-minor, as a probe's last position).</summary>
    public static UnitExplanation[] ExplainAll(int p, float[] activations, int units, ExplainerOptions? options = null, IProgress<double>? progress = null)
    {
        if (activations.Length != p * p * units)
            throw new AnalysisInputException($"Expected {p}²·{units} activations for {units} units over all pairs, got {activations.Length}.");
        options ??= new ExplainerOptions();
        var basis = new FourierBasis(p);
        var result = new UnitExplanation[units];
        // Units in parallel within a chunk, progress reported between chunks on the calling thread: an observer sees
        // its reports one at a time and in order.
        const int chunk = 32;
        for (var start = 0; start < units; start += chunk)
        {
            var end = Math.Min(units, start + chunk);
            Parallel.For(start, end, u =>
            {
                var map = new double[p * p];
                for (var row = 0; row < p * p; row++) map[row] = activations[row * units + u];
                result[u] = Explain(basis, map, u, options);
            });
            progress?.Report((double)end / units);
        }
        return result;
    }

    /// <summary>Explains one map [a·P + b] in <paramref name="basis"/>.</summary>
    public static UnitExplanation Explain(FourierBasis basis, double[] map, int unit, ExplainerOptions options)
    {
        int p = basis.P, pp = p * p, nf = basis.FrequencyCount;
        if (map.Length != pp) throw new AnalysisInputException($"A unit's map over all pairs has P² = {pp} values, not {map.Length}.");
        if (map.Any(v => !double.IsFinite(v))) throw new AnalysisInputException($"{options.UnitName} {unit}'s map holds NaN or infinite values; it cannot be explained.");
        var mean = map.Average();
        var sst = map.Sum(v => (v - mean) * (v - mean));
        var largest = map.Max(Math.Abs);
        // Dead: no variance beyond float rounding of a constant (its standard deviation below 1e-6 of its largest value).
        if (largest == 0 || sst <= pp * (1e-6 * largest) * (1e-6 * largest))
        {
            var constant = new FourierFormula(p, mean, [], relu: false);
            return new UnitExplanation(unit, ExplanationKind.Dead, constant, 1, false, new double[nf], TermShares.None,
                ExplanationSentence.Of(options.UnitName, unit, ExplanationKind.Dead, constant, 1, false, []));
        }

        var spectrum = BlockSpectrum(basis, map);
        var shares = new double[nf];
        for (var f = 1; f <= nf; f++)
        {
            int[] rows = [0, .. basis.RowsOf(f)];
            var e = 0.0;
            foreach (var x in rows)
                foreach (var y in rows)
                    if (x != 0 || y != 0) e += spectrum[x * p + y] * spectrum[x * p + y];
            shares[f - 1] = e / sst;
        }
        var ranked = Enumerable.Range(1, nf).OrderByDescending(f => shares[f - 1]).ThenBy(f => f).ToArray();
        var terms = Terms(basis, spectrum, ranked[0], sst);
        // A ReLU fit needs a map that is never negative and is zero somewhere; elsewhere it is the plain fit.
        var relu = options.Relu && map.All(v => v >= 0) && map.Any(v => v == 0);

        (FourierFormula Formula, double Fraction) Fit(int[] frequencies)
        {
            var fit = new FrequencyBlockFit(basis, frequencies);
            var plain = fit.Formula(fit.Project(map), relu: false);
            var best = (plain, Explained(map, plain.Map(), sst));
            if (!relu) return best;
            var rectified = fit.Formula(fit.FitRelu(map), relu: true);
            var fraction = Explained(map, rectified.Map(), sst);
            return fraction > best.Item2 ? (rectified, fraction) : best;
        }

        var single = ranked.Take(Math.Max(1, options.Candidates)).Select(f => Fit([f])).MaxBy(x => x.Fraction);
        var polysemantic = single.Fraction < options.ExplainedFraction && nf >= 2
            && shares[ranked[0] - 1] >= options.PolysemanticShare && shares[ranked[1] - 1] >= options.PolysemanticShare;
        var chosen = polysemantic ? Fit([ranked[0], ranked[1]]) : single;
        var kind = chosen.Formula.Relu ? ExplanationKind.ReluFourier : ExplanationKind.Fourier;
        var main = chosen.Formula.Frequencies.OrderByDescending(f => shares[f - 1]).ToArray();
        if (main.Length > 0 && main[0] != ranked[0]) terms = Terms(basis, spectrum, main[0], sst);
        var sentence = ExplanationSentence.Of(options.UnitName, unit, kind, chosen.Formula, chosen.Fraction, polysemantic,
            main.Select(f => (f, shares[f - 1])).ToArray());
        return new UnitExplanation(unit, kind, chosen.Formula, chosen.Fraction, polysemantic, shares, terms, sentence);
    }

    /// <summary>1 − Σ(map − fit)² / SST, in double.</summary>
    public static double Explained(ReadOnlySpan<double> map, ReadOnlySpan<double> fit, double sst)
    {
        var sse = 0.0;
        for (var i = 0; i < map.Length; i++)
        {
            var d = map[i] - fit[i];
            sse += d * d;
        }
        return 1 - sse / sst;
    }

    /// <summary>
    /// Â = F·A·Fᵀ at the entries of the frequencies' degree-2 blocks (x, y both in {const, cos f, sin f} of one f), 0
    /// elsewhere: T = F·A in full, then one dot product per entry, a third of the full transform's work.
    /// </summary>
    private static double[] BlockSpectrum(FourierBasis basis, double[] map)
    {
        int p = basis.P;
        var f = basis.Matrix;
        var t = new double[p * p];
        for (var x = 0; x < p; x++)
        {
            var row = t.AsSpan(x * p, p);
            for (var a = 0; a < p; a++) TensorPrimitives.MultiplyAdd(map.AsSpan(a * p, p), f[x * p + a], row, row);
        }
        var spectrum = new double[p * p];
        for (var k = 1; k <= basis.FrequencyCount; k++)
        {
            int[] rows = [0, .. basis.RowsOf(k)];
            foreach (var x in rows)
                foreach (var y in rows) spectrum[x * p + y] = TensorPrimitives.Dot(t.AsSpan(x * p, p), f.Slice(y * p, p));
        }
        return spectrum;
    }

    private static TermShares Terms(FourierBasis basis, double[] spectrum, int f, double sst)
    {
        int p = basis.P;
        var rows = basis.RowsOf(f);
        int c = rows[0], s = rows.Length > 1 ? rows[1] : -1;
        double Share(int x, int y) => x < 0 || y < 0 ? 0 : spectrum[x * p + y] * spectrum[x * p + y] / sst;
        return new TermShares(Share(c, 0), Share(s, 0), Share(0, c), Share(0, s), Share(c, c), Share(c, s), Share(s, c), Share(s, s));
    }
}
