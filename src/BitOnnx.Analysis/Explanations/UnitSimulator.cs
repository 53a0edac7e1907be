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
