using BitOnnx.Core.Explanations;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Tests.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Tests.Export;

/// <summary>
/// The simulator graph on ONNX Runtime against the formulas evaluated in float64 here, on every pair: units with and
/// without a ReLU, terms on all four axes, two frequencies in one unit, a constant unit, and an even P whose Nyquist
/// frequency has no sine.
/// </summary>
[TestClass]
public sealed class FourierFormulaGraphTests
{
    private static double Reference(FourierFormula u, int a, int b)
    {
        var pre = u.Offset;
        foreach (var t in u.Terms)
        {
            double x = t.Axis switch { FourierAxis.A => a, FourierAxis.B => b, FourierAxis.Sum => a + b, _ => a - b };
            pre += t.Amplitude * Math.Cos(2 * Math.PI * t.Frequency * x / u.P - t.Phase);
        }
        return u.Relu ? Math.Max(pre, 0) : pre;
    }

    private static float[] Run(OnnxModel model, int p, int nCtx, int units)
    {
        var tokens = new long[p * p * nCtx];
        for (var a = 0; a < p; a++)
            for (var b = 0; b < p; b++)
            {
                tokens[(a * p + b) * nCtx] = a;
                tokens[(a * p + b) * nCtx + 1] = b;
                for (var t = 2; t < nCtx; t++) tokens[(a * p + b) * nCtx + t] = p;
            }
        using var options = SessionRunner.Options(GraphOptimizationLevel.ORT_ENABLE_ALL);
        using var session = new InferenceSession(model.ToBytes(), options);
        using var input = OrtValue.CreateTensorValueFromMemory(tokens, [p * p, nCtx]);
        using var outputs = session.Run(new RunOptions(), [session.InputNames[0]], [input], [FourierFormulaGraph.Output]);
        CollectionAssert.AreEqual(new long[] { p * p, units }, outputs[0].GetTensorTypeAndShape().Shape);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static void AssertSimulates(IReadOnlyList<FourierFormula> units, int nCtx = 3)
    {
        var p = units[0].P;
        var actual = Run(FourierFormulaGraph.Build(units, nCtx), p, nCtx, units.Count);
        for (var a = 0; a < p; a++)
            for (var b = 0; b < p; b++)
                for (var u = 0; u < units.Count; u++)
                {
                    var expected = Reference(units[u], a, b);
                    var scale = Math.Abs(units[u].Offset) + units[u].Terms.Sum(t => t.Amplitude);
                    var got = actual[(a * p + b) * units.Count + u];
                    Assert.IsTrue(Math.Abs(got - expected) <= 4e-7 * scale + 1e-7, $"unit {u} at ({a}, {b}): expected {expected:R}, got {got:R}");
                }
    }

    [TestMethod]
    public void TheGraphComputesEveryUnitsFormulaOnEveryPair()
    {
        const int p = 113;
        FourierFormula[] units =
        [
            new(p, -0.4, [new(14, FourierAxis.Sum, 2.0, 0.6)], relu: true),
            new(p, 0.1, [new(7, FourierAxis.Sum, 0.75, 0), new(7, FourierAxis.Difference, 0.75, 0)], relu: false),
            new(p, 0.25, [], relu: false),
            new(p, 0.3, [new(23, FourierAxis.A, 1.2, -0.2), new(23, FourierAxis.B, 0.9, 1.1), new(35, FourierAxis.Sum, 0.4, 3.0), new(35, FourierAxis.Difference, 0.2, -2.5)], relu: true),
            new(p, -1.0, [new(56, FourierAxis.Difference, 3.0, 0.1)], relu: false),
        ];
        AssertSimulates(units);
    }

    [TestMethod]
    public void AnEvenModulusAndLongerRowsReadAAndBFromTheFirstTwoPositions()
    {
        const int p = 12;
        FourierFormula[] units =
        [
            new(p, 0.5, [new(6, FourierAxis.Sum, 1.0, 0), new(6, FourierAxis.A, 0.5, 0)], relu: true),
            new(p, 0, [new(5, FourierAxis.Difference, 1.0, 0.7)], relu: false),
        ];
        AssertSimulates(units, nCtx: 5);
    }

    [TestMethod]
    public void UnitsOfDifferentModuliAreRefused()
    {
        var e = Assert.ThrowsException<ArgumentException>(() =>
            FourierFormulaGraph.Build([new FourierFormula(113, 0, [], false), new FourierFormula(31, 0, [], false)]));
        StringAssert.Contains(e.Message, "share one P");
    }
}
