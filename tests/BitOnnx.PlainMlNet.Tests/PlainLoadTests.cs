using BitOnnx.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace BitOnnx.PlainMlNet.Tests;

/// <summary>
/// Loads each model zip with mlContext.Model.Load in an app that knows nothing of BitOnnx and scores all P² pairs:
/// PredictedSum equals the engine's answer on every pair (so the accuracy is the engine's), Score sums to 1 and equals
/// the softmax of the engine's logits. The binary and ternary zips carry int2-native (the fastest per row), which rounds
/// activations to 8 bits: their Score is the softmax of their own logits, and those are within `bitonnx verify`'s bound
/// for 8-bit activations (1e-1 of the largest logit) of the engine's.
/// </summary>
[TestClass]
public sealed class PlainLoadTests
{
    public static IEnumerable<object[]> Zips() =>
    [
        ["library", Path.Combine(RepositoryRoot.Path, "tests", "BitOnnx.PlainMlNet.Tests", "Fixtures", "library-p23.zip"), "library-p23", true],
        ["cli", Path.Combine(RepositoryRoot.Path, "models", "li2024-binary", "model.zip"), "li2024-binary", false],
        ["cli", Path.Combine(RepositoryRoot.Path, "models", "li2024-ternary", "model.zip"), "li2024-ternary", false],
        ["cli", Path.Combine(RepositoryRoot.Path, "models", "nanda2023-fp", "model.zip"), "nanda2023-fp", true],
    ];

    /// <summary>`bitonnx verify`'s bound for 8-bit activations, per unit of the largest logit.</summary>
    private const double QuantizedActivationTolerance = 1e-1;

    [TestMethod]
    [DynamicData(nameof(Zips), DynamicDataSourceType.Method)]
    public void LoadsAndScoresEveryPairAsTheEngineDoes(string writer, string zip, string name, bool exactActivations)
    {
        var answers = EngineAnswers.Read(Path.Combine(RepositoryRoot.Path, "tests", "BitOnnx.PlainMlNet.Tests", "Fixtures", name + ".engine.bin"));
        var p = answers.P;
        var ml = new MLContext(); // as a plain app makes it: no session options (the zip's graph needs none to be fast)
        var model = ml.Model.Load(zip, out var inputSchema);
        Assert.AreEqual(NumberDataViewType.Int32, inputSchema["A"].Type, $"{writer} zip {name}: input A is Int32");

        var rows = Enumerable.Range(0, p * p).Select(r => new Pair { A = r / p, B = r % p }).ToList();
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        var predicted = scored.GetColumn<int[]>("PredictedSum").Select(v => v.Single()).ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var logits = scored.GetColumn<float[]>("logits").ToArray();

        var correct = 0;
        var engineCorrect = 0;
        for (var r = 0; r < p * p; r++)
        {
            var truth = (r / p + r % p) % p;
            Assert.AreEqual(answers.ArgMax[r], predicted[r], $"{name}: pair ({r / p}, {r % p})");
            if (predicted[r] == truth) correct++;
            if (answers.ArgMax[r] == truth) engineCorrect++;
            Assert.AreEqual(1.0, scores[r].Sum(s => (double)s), 1e-5, $"{name}: Score of pair {r} sums to 1");
        }
        Assert.AreEqual(engineCorrect, correct, "accuracy equals the engine's");
        var bound = QuantizedActivationTolerance * Math.Max(1, answers.Logits.Max(v => Math.Abs(v)));
        for (var i = 0; i < answers.Pairs.Length; i++)
        {
            var engine = answers.Probabilities(i);
            var own = Softmax(logits[answers.Pairs[i]]);
            var score = scores[answers.Pairs[i]];
            for (var k = 0; k < p; k++)
            {
                Assert.AreEqual(exactActivations ? engine[k] : own[k], score[k], 1e-5, $"{name}: Score {k} of pair {answers.Pairs[i]}");
                if (!exactActivations) Assert.AreEqual(answers.Logits[i * p + k], logits[answers.Pairs[i]][k], bound, $"{name}: logit {k} of pair {answers.Pairs[i]}");
            }
        }
        Console.WriteLine($"{writer} {name}: accuracy {correct / (double)(p * p):P2} over {p * p} pairs");
    }

    [TestMethod]
    public void PredictionEngineWithPlainClasses()
    {
        var ml = new MLContext();
        var model = ml.Model.Load(Path.Combine(RepositoryRoot.Path, "models", "li2024-ternary", "model.zip"), out _);
        var engine = ml.Model.CreatePredictionEngine<Pair, Answer>(model);
        var answer = engine.Predict(new Pair { A = 100, B = 20 });
        Assert.AreEqual((100 + 20) % 113, answer.PredictedSum.Single());
        Assert.AreEqual(113, answer.Score.Length);
    }

    private static double[] Softmax(float[] logits)
    {
        var max = logits.Max();
        var e = logits.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    private sealed class Pair
    {
        public int A { get; set; }
        public int B { get; set; }
    }

    private sealed class Answer
    {
        public int[] PredictedSum { get; set; } = [];
        public float[] Score { get; set; } = [];
    }
}
