using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Model;
using BitOnnx.Engine.Training;

namespace BitOnnx.Engine.Tests.Training;

/// <summary>BIMT's locality cost, its gradient, its schedule and its swaps, one step at a time (docs/bimt.md).</summary>
[TestClass]
public sealed class BimtCostTests
{
    internal static readonly TransformerConfig Small = TransformerConfig.Li2024 with
    {
        P = 23,
        DModel = 16,
        NHeads = 4,
        DHead = 4,
        DMlp = 48,
        Quantization = WeightQuantization.Ternary,
    };

    private static readonly TransformerConfig TwoBlocks = Small with { NLayers = 2, DMlp = 40 };

    /// <summary>A layout with some heads and neurons of every block moved, as swaps leave one.</summary>
    private static NeuronLayout Shuffled(TransformerConfig config, int seed)
    {
        var layout = NeuronLayout.Identity(config);
        var random = new Random(seed);
        for (var l = 0; l < config.NLayers; l++)
        {
            for (var i = 0; i < 3; i++) layout.Swap(l, NeuronKind.Head, random.Next(config.NHeads), random.Next(config.NHeads));
            for (var i = 0; i < 30; i++) layout.Swap(l, NeuronKind.Neuron, random.Next(config.DMlp), random.Next(config.DMlp));
        }
        return layout;
    }

    [TestMethod]
    public void VectorGradientMatchesTheScalarReferenceBitForBit()
    {
        var random = new Random(3);
        const int n = 1003;
        var (w, f, g) = (new float[n], new float[n], new float[n]);
        for (var i = 0; i < n; i++)
        {
            w[i] = i % 7 == 0 ? (i % 2 == 0 ? 0f : -0f) : (float)random.NextDouble() - 0.5f;
            f[i] = (float)random.NextDouble() * 1e-4f;
            g[i] = i % 5 == 0 ? -0f : (float)random.NextDouble() - 0.5f;
        }
        var (start, expected) = ((float[])g.Clone(), (float[])g.Clone());
        LocalityCost.AddGradientReference(w, f, expected);
        LocalityCost.AddGradient(w, f, g);
        CollectionAssert.AreEqual(expected, g);
        for (var i = 0; i < n; i++)
            Assert.AreEqual(Math.Sign(w[i]) * (double)f[i], (double)expected[i] - start[i], 1e-7, $"element {i}: sign(w)·factor, 0 at w = 0");
    }

    /// <summary>
    /// The gradient the step adds (λ = 1 here) is the cost's derivative: central differences of the cost in double,
    /// weight by weight, over every matrix that carries it, with units moved; zero on the embeddings and the norm.
    /// The cost is linear in |w| away from 0, so the differences are exact but for rounding.
    /// </summary>
    [TestMethod]
    public void GradientEqualsFiniteDifferencesOfTheCost()
    {
        var config = TwoBlocks;
        var weights = ParameterInitializer.Initialize(config, 8);
        var layout = Shuffled(config, 1);
        var cost = new LocalityCost(config);
        var factors = weights.ZerosLike();
        cost.Factors(layout, 1.0, factors);
        var gradient = weights.ZerosLike();
        cost.AddGradient(weights, factors, gradient);
        var random = new Random(2);
        var checkedWeights = 0;
        foreach (var info in weights.Entries)
        {
            var carries = LocalityCost.Matrices(config).Contains(info.Name);
            for (var k = 0; k < 40; k++)
            {
                var i = info.Offset + random.Next(info.Shape.Size);
                var w = weights.Data[i];
                if (w == 0) continue;
                var h = Math.Abs(w) / 4;
                var (plus, minus) = (w + h, w - h);
                weights.Data[i] = plus;
                var up = cost.Of(weights, layout);
                weights.Data[i] = minus;
                var down = cost.Of(weights, layout);
                weights.Data[i] = w;
                var difference = (up - down) / ((double)plus - minus);
                if (!carries)
                {
                    Assert.AreEqual(0f, gradient.Data[i], info.Name);
                    Assert.AreEqual(0, difference, 1e-15, info.Name);
                    continue;
                }
                Assert.AreEqual(difference, gradient.Data[i], Math.Abs(difference) * 1e-6, $"{info.Name} element {i - info.Offset}");
                Assert.AreNotEqual(0f, gradient.Data[i]);
                checkedWeights++;
            }
        }
        Assert.IsTrue(checkedWeights >= 2 * 6 * 35, $"{checkedWeights} weights checked");
    }

    /// <summary>
    /// Moving places is the same as moving weights: the cost of a layout equals the cost of the weights laid out by it
    /// with no unit moved, and the gradient factors laid out equal the unmoved ones bit for bit (each is computed from
    /// its own weight and length alone). So the cost's gradient after a swap is the swapped gradient, exactly.
    /// </summary>
    [TestMethod]
    public void CostAndGradientFollowTheUnitsThatMoved()
    {
        var config = TwoBlocks;
        var weights = ParameterInitializer.Initialize(config, 5);
        var layout = Shuffled(config, 4);
        var identity = NeuronLayout.Identity(config);
        var cost = new LocalityCost(config);
        var laid = layout.Apply(weights);
        Assert.AreEqual(cost.Of(weights, layout), cost.Of(laid, identity), 1e-12 * cost.Of(weights, layout));
        Assert.AreNotEqual(cost.Of(weights, identity), cost.Of(weights, layout), "the layout matters");
        var (moved, unmoved) = (weights.ZerosLike(), weights.ZerosLike());
        cost.Factors(layout, 0.3, moved);
        cost.Factors(identity, 0.3, unmoved);
        CollectionAssert.AreEqual(unmoved.Data, layout.Apply(moved).Data);
        var (g, gLaid) = (weights.ZerosLike(), weights.ZerosLike());
        cost.AddGradient(weights, moved, g);
        cost.AddGradient(laid, unmoved, gLaid);
        CollectionAssert.AreEqual(gLaid.Data, layout.Apply(g).Data);
    }

    [TestMethod]
    public void ScheduleIsLambdaThenTenLambdaFromAQuarterToThreeQuarters()
    {
        var bimt = new BimtSettings(0.1);
        Assert.AreEqual(0.1, bimt.LambdaAt(0, 1000));
        Assert.AreEqual(0.1, bimt.LambdaAt(249, 1000));
        Assert.AreEqual(1.0, bimt.LambdaAt(250, 1000));
        Assert.AreEqual(1.0, bimt.LambdaAt(749, 1000));
        Assert.AreEqual(0.1, bimt.LambdaAt(750, 1000));
        Assert.AreEqual(0.1, bimt.LambdaAt(999, 1000));
        // The authors' int(steps·1/4) and int(steps·3/4): 10 steps change at 2 and 7.
        var changes = Enumerable.Range(0, 10).Select(s => bimt.LambdaAt(s, 10)).ToArray();
        CollectionAssert.AreEqual(new[] { 0.1, 0.1, 1, 1, 1, 1, 1, 0.1, 0.1, 0.1 }, changes);
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(-1.0)]
    [DataRow(double.PositiveInfinity)]
    [DataRow(double.NaN)]
    public void LambdaMustBePositiveAndFinite(double lambda)
    {
        var e = Assert.ThrowsException<ConfigException>(() => new TrainingOptions { Bimt = new BimtSettings(lambda) }.Validated());
        StringAssert.Contains(e.Message, "bimt lambda must be positive and finite");
    }

    /// <summary>
    /// A round of swaps lowers the cost, moves places and nothing else: the step's weights, optimizer state, test loss
    /// and logits are bit for bit those before it. The next step is the one a step started from the same state with
    /// the new layout takes; and a model whose weights and moments were physically permuted takes the permuted step,
    /// within float rounding (its sums run in another order).
    /// </summary>
    [TestMethod]
    public void SwapsLeaveLogitsUnchangedAndTheNextStepIsThePermutedOne()
    {
        var config = Small;
        var options = new TrainingOptions { Epochs = 400, Seed = 1, Threads = 2, Bimt = new BimtSettings(0.5) };
        var data = ModularAdditionData.Split(config.P, options.TrainFraction, options.Seed);
        var setup = new TrainingSetup(config, options, data, ParameterInitializer.Initialize(config, options.Seed), null);
        using var step = new TrainingStep(setup);
        for (var i = 0; i < 30; i++) step.Run();
        var (weights, optimizer, evaluation) = (step.ReadParameters(), step.ReadOptimizer(), step.Evaluate());
        var logits = Logits(config, weights);
        var before = step.LocalityCost();

        var swaps = step.Relocate(30);

        Assert.IsTrue(swaps.Count > 0 && swaps.Any(s => s.Kind == NeuronKind.Head) && swaps.Any(s => s.Kind == NeuronKind.Neuron), $"{swaps.Count} swaps");
        Assert.AreEqual(before, swaps[0].CostBefore);
        foreach (var s in swaps) Assert.IsTrue(s.CostAfter < s.CostBefore, $"{s}");
        Assert.AreEqual(swaps[^1].CostAfter, step.LocalityCost());
        CollectionAssert.AreEqual(weights.Data, step.ReadParameters().Data);
        CollectionAssert.AreEqual(optimizer.FirstMoment.Data, step.ReadOptimizer().FirstMoment.Data);
        CollectionAssert.AreEqual(optimizer.SecondMoment.Data, step.ReadOptimizer().SecondMoment.Data);
        Assert.AreEqual(evaluation, step.Evaluate());
        CollectionAssert.AreEqual(logits, Logits(config, step.ReadParameters()));
        var layout = step.Layout;
        var laidLogits = Logits(config, layout.Apply(weights));
        var largest = logits.Max(Math.Abs);
        for (var i = 0; i < logits.Length; i++) Assert.AreEqual(logits[i], laidLogits[i], 1e-5 * largest, $"laid-out logit {i}");

        var resumed = new TrainingStep(setup with { Parameters = weights, Optimizer = optimizer, Layout = layout });
        var permuted = new TrainingStep(setup with
        {
            Parameters = layout.Apply(weights),
            Optimizer = new OptimizerState(optimizer.Step, layout.Apply(optimizer.FirstMoment), layout.Apply(optimizer.SecondMoment)),
        });
        Assert.AreEqual(step.Run(), resumed.Run());
        CollectionAssert.AreEqual(step.ReadParameters().Data, resumed.ReadParameters().Data);
        permuted.Run();
        var (expected, actual) = (layout.Apply(step.ReadParameters()).Data, permuted.ReadParameters().Data);
        for (var i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], actual[i], 1e-5, $"weight {i} after the next step");
    }

    /// <summary>The logits of every pair, as the forward pass computes them for <paramref name="weights"/>.</summary>
    internal static float[] Logits(TransformerConfig config, ParameterSet weights)
    {
        var rows = ModularAdditionData.AllRows(config.P);
        var ws = new Workspace(config, ModularAdditionData.Tokens(config.P, rows), ModularAdditionData.Targets(config.P, rows),
            lastPositionOnly: true, withGradients: false);
        var effective = new EffectiveWeights(config);
        effective.LoadFrom(weights);
        TransformerForward.Run(effective, ws, 1);
        return (float[])ws.Logits.Clone();
    }
}
