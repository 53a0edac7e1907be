namespace BitOnnx.Core.Explanations;

/// <summary>What a term of a <see cref="FourierFormula"/> is a function of: a, b, (a + b) mod P or (a − b) mod P.</summary>
public enum FourierAxis
{
    /// <summary>The first operand a.</summary>
    A,

    /// <summary>The second operand b.</summary>
    B,

    /// <summary>a + b (mod P: the cosine is P-periodic, so the sum and its residue give the same value).</summary>
    Sum,

    /// <summary>a − b (mod P).</summary>
    Difference,
}

/// <summary>Amplitude · cos(2π · Frequency · x / P − Phase), x the operand or combination <see cref="Axis"/> names.</summary>
public readonly record struct FourierTerm(int Frequency, FourierAxis Axis, double Amplitude, double Phase);

/// <summary>
/// A unit's activation over the pairs (a, b) of modular addition as a formula: Offset + Σ terms, then max(·, 0) when
/// <see cref="Relu"/>. Every degree-2 polynomial in cos and sin of one frequency f (Nanda et al. 2023's block
/// {1, cos f, sin f} ⊗ {1, cos f, sin f}) is exactly an offset plus one term of f on each of a, b, a + b and a − b,
/// since cos a·cos b = ½cos(a + b) + ½cos(a − b) and so on. Explanations of MLP neurons and transcoder latents are
/// formulas of this kind, and every backend that simulates one (the analysis, an ONNX graph, the engine) evaluates this
/// type: <see cref="Evaluate"/> in double is the reference they are held to.
/// </summary>
public sealed record FourierFormula
{
    public FourierFormula(int p, double offset, IReadOnlyList<FourierTerm> terms, bool relu)
    {
        if (p < 2) throw new ArgumentOutOfRangeException(nameof(p), p, "P must be at least 2.");
        ArgumentNullException.ThrowIfNull(terms);
        var bad = terms.Where(t => t.Frequency < 1 || t.Frequency > p / 2 || !double.IsFinite(t.Amplitude) || !double.IsFinite(t.Phase)).ToList();
        if (bad.Count > 0)
            throw new ArgumentException($"Terms need a frequency in 1..{p / 2} and finite amplitude and phase; {string.Join(", ", bad)} are not.", nameof(terms));
        if (!double.IsFinite(offset)) throw new ArgumentOutOfRangeException(nameof(offset), offset, "The offset must be finite.");
        P = p;
        Offset = offset;
        Terms = terms.ToArray();
        Relu = relu;
    }

    /// <summary>The modulus the phases and frequencies refer to.</summary>
    public int P { get; }

    /// <summary>The constant added before the ReLU.</summary>
    public double Offset { get; }

    /// <summary>The cosine terms.</summary>
    public IReadOnlyList<FourierTerm> Terms { get; }

    /// <summary>Whether the sum passes through max(·, 0), as an MLP neuron or a ReLU latent does.</summary>
    public bool Relu { get; }

    /// <summary>The frequencies the terms use, ascending, each once.</summary>
    public int[] Frequencies => Terms.Select(t => t.Frequency).Distinct().Order().ToArray();

    /// <summary>The value before the ReLU at (a, b).</summary>
    public double PreActivation(int a, int b)
    {
        var sum = Offset;
        foreach (var t in Terms) sum += t.Amplitude * Math.Cos(2 * Math.PI * t.Frequency * Argument(t.Axis, a, b, P) / P - t.Phase);
        return sum;
    }

    /// <summary>The formula at (a, b).</summary>
    public double Evaluate(int a, int b)
    {
        var pre = PreActivation(a, b);
        return Relu ? Math.Max(pre, 0) : pre;
    }

    /// <summary>The formula over every pair, [a·P + b] (the order of the pairs everywhere in BitOnnx).</summary>
    public double[] Map()
    {
        // Each term is a function of one residue x in 0..P−1: a table of P cosines per term, then sums; the same values
        // as Evaluate at every pair.
        var tables = Terms.Select(t => Enumerable.Range(0, P).Select(x => t.Amplitude * Math.Cos(2 * Math.PI * t.Frequency * x / P - t.Phase)).ToArray()).ToArray();
        var map = new double[P * P];
        for (var a = 0; a < P; a++)
            for (var b = 0; b < P; b++)
            {
                var sum = Offset;
                for (var i = 0; i < tables.Length; i++) sum += tables[i][Argument(Terms[i].Axis, a, b, P)];
                map[a * P + b] = Relu ? Math.Max(sum, 0) : sum;
            }
        return map;
    }

    /// <summary>x of an axis in 0..P−1: a, b, (a + b) mod P or (a − b) mod P.</summary>
    public static int Argument(FourierAxis axis, int a, int b, int p) => axis switch
    {
        FourierAxis.A => a,
        FourierAxis.B => b,
        FourierAxis.Sum => (a + b) % p,
        _ => ((a - b) % p + p) % p,
    };
}
