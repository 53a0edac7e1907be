using BitOnnx.Onnx;
using BitOnnx.Onnx.Export;

namespace BitOnnx.Analysis.Explanations;

/// <summary>
/// Each unit's activation over every pair computed from its explanation alone: the formula's parameters, never the
/// weights or the map it was fitted to (the simulator of Paulo and Belrose 2025, exact here because the explanation is a
/// formula). In double, rounded to float once; BitOnnx.Onnx's <c>FourierFormulaGraph</c> computes the same in an ONNX graph.
/// </summary>
public static class UnitSimulator
{
    /// <summary>The unit's simulated map [a, b].</summary>
    public static float[,] Simulate(UnitExplanation explanation)
    {
        int p = explanation.P;
        var map = explanation.Formula.Map();
        var result = new float[p, p];
        for (var a = 0; a < p; a++)
            for (var b = 0; b < p; b++) result[a, b] = (float)map[a * p + b];
        return result;
    }

    /// <summary>The unit's simulated map [a, b] for modulus <paramref name="p"/>, which must be the explanation's.</summary>
    public static float[,] Simulate(UnitExplanation explanation, int p) => explanation.P == p
        ? Simulate(explanation)
        : throw new AnalysisInputException($"{explanation.Sentence.Split(':')[0]} was explained at P = {explanation.P}, not {p}; simulate it at its own P.");

    /// <summary>
    /// The units' simulator as an ONNX model: <c>tokens</c> int64 [batch, <paramref name="nCtx"/>] to
    /// <paramref name="output"/> float [batch, units] (BitOnnx.Onnx's <see cref="FourierFormulaGraph"/>).
    /// </summary>
    public static OnnxModel Graph(IReadOnlyList<UnitExplanation> explanations, int nCtx = 3, string output = FourierFormulaGraph.Output)
    {
        if (explanations.Count == 0) throw new AnalysisInputException("An ONNX simulator needs at least one explanation.");
        if (explanations.Any(e => e.P != explanations[0].P)) throw new AnalysisInputException("The explanations to simulate together must share one P.");
        return FourierFormulaGraph.Build(explanations.Select(e => e.Formula).ToList(), nCtx, output);
    }

    /// <summary>Every unit's simulated activation [P², units] (row a·P + b, unit-minor, as a probe's last position).</summary>
    public static float[] SimulateAll(IReadOnlyList<UnitExplanation> explanations)
    {
        if (explanations.Count == 0) return [];
        int p = explanations[0].P, units = explanations.Count;
        if (explanations.Any(e => e.P != p)) throw new AnalysisInputException("The explanations to simulate together must share one P.");
        var result = new float[p * p * units];
        Parallel.For(0, units, u =>
        {
            var map = explanations[u].Formula.Map();
            for (var row = 0; row < p * p; row++) result[row * units + u] = (float)map[row];
        });
        return result;
    }
}
