using BitOnnx.Analysis.Inputs;

namespace BitOnnx.Analysis.ClockPizza;

/// <summary>Which output logit Q_abc the gradients are taken of.</summary>
public enum SymmetricityLogit
{
    /// <summary>Any c, drawn with (a, b) uniformly from Z_p³, as in Zhong et al.'s definition and code.</summary>
    AnyOutput,

    /// <summary>Only the correct answer c = (a + b) mod P.</summary>
    CorrectAnswer,
}

/// <summary>Settings for <see cref="GradientSymmetricity"/>.</summary>
public sealed record GradientSymmetricityOptions
{
    /// <summary>Which logit (default: any output, as the paper).</summary>
    public SymmetricityLogit Logit { get; init; } = SymmetricityLogit.AnyOutput;

    /// <summary>|S|, the number of (a, b, c) triples (the paper uses 100).</summary>
    public int Samples { get; init; } = 100;

    /// <summary>Seed of the triple sample.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Central-difference step as a fraction of the RMS of the number-token embeddings; null: the model's
    /// <see cref="IEmbeddedLogits.RecommendedRelativeStep"/> (smaller for float64 graphs than for float32 ones).
    /// </summary>
    public double? RelativeStep { get; init; }
}

/// <summary>Gradient symmetricity s_g and its per-triple cosines.</summary>
/// <param name="Value">Mean cosine similarity (1: the logits see a and b only through a symmetric combination).</param>
/// <param name="Triples">The sampled (a, b, c).</param>
/// <param name="Cosines">Per triple, cos(∂Q_abc/∂E_a, ∂Q_abc/∂E_b); NaN where a gradient vanished (left out of the mean).</param>
/// <param name="Step">The finite-difference step used (absolute).</param>
/// <param name="RelativeStep">The step as a fraction of the RMS of the number-token embeddings.</param>
/// <param name="Method">How the gradients were obtained (the model's <see cref="IEmbeddedLogits.Description"/>).</param>
public sealed record GradientSymmetricityResult(double Value, IReadOnlyList<(int A, int B, int C)> Triples, double[] Cosines, double Step,
    double RelativeStep = double.NaN, string Method = "");

/// <summary>
/// Zhong et al. 2023, Definition 4.1: for a set S of (a, b, c), s_g = (1/|S|) Σ cos(∂Q_abc/∂E_a, ∂Q_abc/∂E_b), where
/// Q_abc is the output logit for c (any c, not only the correct one, as in the paper and its code, which draws 100
/// triples uniformly from Z_p³) and E_a, E_b are the input embeddings of a and b. A pizza adds E_a and E_b before its
/// nonlinearity, so the two gradients coincide (their pizza model: 0.9937); a clock multiplies rotations, so they
/// differ (their clock model: 0.3336). Gradients come from central differences through <see cref="IEmbeddedLogits"/>.
/// </summary>
public static class GradientSymmetricity
{
    /// <summary>Computes s_g; <paramref name="embedded"/> is the <c>hook_embed</c> probe [P·P, n_ctx, d_model].</summary>
    public static GradientSymmetricityResult Compute(IEmbeddedLogits model, ProbeTensor embedded, int p, GradientSymmetricityOptions options)
    {
        int nCtx = model.NCtx, d = model.DModel;
        if (embedded.Shape.Length != 3 || embedded.Shape[0] != p * p || embedded.Shape[1] != nCtx || embedded.Shape[2] != d)
        {
            throw new AnalysisInputException(
                $"hook_embed has shape {embedded.ShapeText}; the embedded-input model expects [{p * p}, {nCtx}, {d}].");
        }
        int rowSize = nCtx * d;
        double relativeStep = options.RelativeStep ?? model.RecommendedRelativeStep;
        double step = relativeStep * NumberEmbeddingRms(embedded, p, rowSize, d);
        var triples = SampleTriples(p, options.Samples, options.Seed);
        if (options.Logit == SymmetricityLogit.CorrectAnswer)
        {
            triples = triples.Select(t => (t.A, t.B, (t.A + t.B) % p)).Distinct().ToArray();
        }
        var coordinates = Enumerable.Range(0, 2 * d).ToArray(); // E_a (position 0) then E_b (position 1)
        var cosines = new double[triples.Count];

        // One model call per distinct (a, b): its 4·d_model perturbed sequences give the gradient of every logit c.
        var gradients = new Dictionary<(int, int), double[]>();
        foreach (var (a, b) in triples.Select(t => (t.A, t.B)).Distinct())
        {
            var x0 = new double[rowSize];
            long src = (long)(a * p + b) * rowSize;
            for (int i = 0; i < rowSize; i++) x0[i] = embedded.Data[src + i];
            gradients[(a, b)] = CentralDifferences.Gradients(model.Logits, x0, coordinates, step, out _, 4 * d);
        }

        for (int t = 0; t < triples.Count; t++)
        {
            var (a, b, c) = triples[t];
            var g = gradients[(a, b)];
            var ga = g.AsSpan(c * 2 * d, d);
            var gb = g.AsSpan(c * 2 * d + d, d);
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < d; i++)
            {
                dot += ga[i] * gb[i];
                na += ga[i] * ga[i];
                nb += gb[i] * gb[i];
            }
            cosines[t] = na > 0 && nb > 0 ? dot / Math.Sqrt(na * nb) : double.NaN;
        }
        var valid = cosines.Where(v => !double.IsNaN(v)).ToArray();
        return new GradientSymmetricityResult(valid.Length > 0 ? valid.Average() : double.NaN, triples, cosines, step, relativeStep, model.Description);
    }

    /// <summary>|S| distinct triples drawn uniformly from Z_p³ with a seeded generator.</summary>
    public static IReadOnlyList<(int A, int B, int C)> SampleTriples(int p, int samples, int seed)
    {
        long space = (long)p * p * p;
        var rng = new Random(seed);
        var seen = new HashSet<long>();
        var result = new List<(int, int, int)>();
        while (result.Count < Math.Min(samples, space))
        {
            long index = rng.NextInt64(space);
            if (!seen.Add(index)) continue;
            result.Add(((int)(index / (p * p)), (int)(index / p % p), (int)(index % p)));
        }
        return result;
    }

    private static double NumberEmbeddingRms(ProbeTensor embedded, int p, int rowSize, int d)
    {
        double s = 0;
        long n = 0;
        for (int a = 0; a < p; a++)
        {
            long src = (long)(a * p) * rowSize; // row a·P + 0, position 0 holds E_a
            for (int i = 0; i < d; i++)
            {
                s += (double)embedded.Data[src + i] * embedded.Data[src + i];
                n++;
            }
        }
        double rms = Math.Sqrt(s / n);
        return rms > 0 ? rms : 1;
    }
}
