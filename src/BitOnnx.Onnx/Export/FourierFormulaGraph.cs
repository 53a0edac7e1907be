using BitOnnx.Core.Explanations;
using BitOnnx.Onnx.Contract;

namespace BitOnnx.Onnx.Export;

/// <summary>
/// An ONNX graph that computes units' activations [batch, units] from token rows by their formulas
/// (<see cref="FourierFormula"/>: explained MLP neurons or transcoder latents), to stand in for what computed them.
/// Each term is a function of one of a, b, (a + b) mod P, (a − b) mod P, so the graph gathers a and b from the tokens
/// (positions 0 and 1), forms the two residues, gathers a table [P, units] for each (the sum of that axis' terms of
/// every unit, computed in double and rounded to float once), adds the offsets, and takes max(·, 0) for the units whose
/// formula has a ReLU (max with −∞ leaves the others as they are). Five gathers and four adds: the formula itself, not
/// an approximation of it; the tables are what rounding float32 leaves.
/// </summary>
public static class FourierFormulaGraph
{
    /// <summary>The standalone graph's output: SAELens' name for a sparse dictionary's latent activations.</summary>
    public const string Output = "hook_sae_acts_post";

    /// <summary>
    /// A standalone model: input <c>tokens</c> int64 [batch, <paramref name="nCtx"/>] with a at position 0 and b at
    /// position 1 (BitOnnx's contract), output <paramref name="output"/> float [batch, units].
    /// </summary>
    public static OnnxModel Build(IReadOnlyList<FourierFormula> units, int nCtx = 3, string output = Output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nCtx, 2);
        var g = new OnnxGraphBuilder("fourier_formulas");
        var tokens = g.Input(ModelContract.Tokens, TensorElementType.Int64, ["batch", nCtx]);
        var activations = Emit(g, tokens, units, output);
        g.Output(activations, TensorElementType.Float, ["batch", units.Count]);
        return new OnnxModel(g.Build(new Dictionary<string, string>
        {
            ["bitonnx.simulator.p"] = units[0].P.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["bitonnx.simulator.units"] = units.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, "Units' activations computed from their Fourier formulas (BitOnnx explanations)."));
    }

    /// <summary>
    /// Appends the nodes to <paramref name="graph"/>, reading a and b from <paramref name="tokens"/> (int64 [batch, n_ctx]);
    /// returns the activations [batch, units], named <paramref name="output"/>. Every other name it defines starts with
    /// <paramref name="prefix"/>, so it can be emitted into a model's own graph.
    /// </summary>
    public static TensorRef Emit(OnnxGraphBuilder graph, TensorRef tokens, IReadOnlyList<FourierFormula> units, string output, string prefix = "simulator.")
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(units);
        if (units.Count == 0) throw new ArgumentException("A simulator needs at least one unit.", nameof(units));
        var p = units[0].P;
        if (units.Any(u => u.P != p))
            throw new ArgumentException($"The units' formulas must share one P; they have {string.Join(", ", units.Select(u => u.P).Distinct())}.", nameof(units));
        int n = units.Count;

        var a = graph.Node("Gather", [tokens, graph.Scalar($"{prefix}position_a", 0L)], new NodeAttributes { { "axis", 1 } }, $"{prefix}a");
        var b = graph.Node("Gather", [tokens, graph.Scalar($"{prefix}position_b", 1L)], new NodeAttributes { { "axis", 1 } }, $"{prefix}b");
        var modulus = graph.Scalar($"{prefix}p", (long)p);
        TensorRef Argument(FourierAxis axis) => axis switch
        {
            FourierAxis.A => a,
            FourierAxis.B => b,
            FourierAxis.Sum => graph.Node("Mod", [graph.Node("Add", [a, b], output: $"{prefix}a_plus_b"), modulus], output: $"{prefix}sum"),
            _ => graph.Node("Mod", [graph.Node("Add", [graph.Node("Sub", [a, b], output: $"{prefix}a_minus_b"), modulus], output: $"{prefix}a_minus_b_plus_p"), modulus],
                output: $"{prefix}difference"),
        };

        var sum = graph.Initializer($"{prefix}offset", units.Select(u => (float)u.Offset).ToArray(), [n]);
        foreach (var axis in Enum.GetValues<FourierAxis>())
        {
            if (!units.Any(u => u.Terms.Any(t => t.Axis == axis))) continue;
            var name = axis.ToString().ToLowerInvariant();
            var table = graph.Initializer($"{prefix}table_{name}", Table(units, axis, p), [p, n]);
            var rows = graph.Node("Gather", [table, Argument(axis)], new NodeAttributes { { "axis", 0 } }, $"{prefix}terms_{name}");
            sum = graph.Node("Add", [sum, rows], output: $"{prefix}sum_to_{name}");
        }
        if (!units.Any(u => u.Relu)) return graph.Node("Identity", [sum], output: output);
        var floor = graph.Initializer($"{prefix}relu_floor", units.Select(u => u.Relu ? 0f : float.NegativeInfinity).ToArray(), [n]);
        return graph.Node("Max", [sum, floor], output: output);
    }

    /// <summary>[x, unit]: the sum of the unit's terms on <paramref name="axis"/> at x = 0..P−1, in double, rounded once.</summary>
    public static float[] Table(IReadOnlyList<FourierFormula> units, FourierAxis axis, int p)
    {
        var table = new float[p * units.Count];
        for (var u = 0; u < units.Count; u++)
        {
            var terms = units[u].Terms.Where(t => t.Axis == axis).ToArray();
            for (var x = 0; x < p; x++)
            {
                var s = 0.0;
                foreach (var t in terms) s += t.Amplitude * Math.Cos(2 * Math.PI * t.Frequency * x / p - t.Phase);
                table[x * units.Count + u] = (float)s;
            }
        }
        return table;
    }
}
