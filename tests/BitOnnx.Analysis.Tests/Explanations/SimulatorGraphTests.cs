using BitOnnx.Analysis.Explanations;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.Analysis.Tests.Explanations;

/// <summary>Explanations of planted units, emitted as an ONNX graph and run on ONNX Runtime, equal the C# simulator on all P² pairs.</summary>
[TestClass]
public sealed class SimulatorGraphTests
{
    private const int P = 113;

    [TestMethod]
    public void TheEmittedGraphEqualsTheSimulatorOnEveryPair()
    {
        static double W(int f, int x) => 2 * Math.PI * f * x / P;
        Func<int, int, double>[] planted =
        [
            (a, b) => Math.Max(0, 2.0 * Math.Cos(W(14, a + b) - 0.6) - 0.4),
            (a, b) => Math.Cos(W(7, a)) * Math.Cos(W(7, b)),
            (_, _) => 0,
            (a, b) => Math.Max(0, Math.Cos(W(14, a + b) - 1.0) + 0.9 * Math.Cos(W(35, a) + 0.3)),
        ];
        var activations = new float[P * P * planted.Length];
        for (var row = 0; row < P * P; row++)
            for (var u = 0; u < planted.Length; u++) activations[row * planted.Length + u] = (float)planted[u](row / P, row % P);
        var explanations = UnitExplainer.ExplainAll(P, activations, planted.Length);
        var simulated = UnitSimulator.SimulateAll(explanations);

        var model = UnitSimulator.Graph(explanations);
        var tokens = ModelSession.GridTokens(P);
        using var session = new InferenceSession(model.ToBytes());
        using var input = OrtValue.CreateTensorValueFromMemory(tokens, [P * P, 3]);
        using var outputs = session.Run(new RunOptions(), [BitOnnx.Onnx.Contract.ModelContract.Tokens], [input], [FourierFormulaGraph.Output]);
        var onnx = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.AreEqual(simulated.Length, onnx.Length);
        var largest = simulated.Max(Math.Abs);
        for (var i = 0; i < onnx.Length; i++)
            Assert.AreEqual(simulated[i], onnx[i], 1e-6 * largest + 1e-7, $"pair {i / planted.Length / P}, {i / planted.Length % P}, unit {i % planted.Length}");
        Assert.IsTrue(explanations[3].Polysemantic || explanations[3].FractionExplained >= 0.9, explanations[3].Sentence);
        var e = Assert.ThrowsException<AnalysisInputException>(() => UnitSimulator.Simulate(explanations[0], 31));
        Assert.AreEqual("neuron 0 was explained at P = 113, not 31; simulate it at its own P.", e.Message);
    }
}
