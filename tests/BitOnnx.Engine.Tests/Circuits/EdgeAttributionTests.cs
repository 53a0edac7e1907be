using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Circuits;
using BitOnnx.Engine.Tests.Hooks;

namespace BitOnnx.Engine.Tests.Circuits;

/// <summary>
/// EAP's score of an edge is the derivative of the metric along the edge's mask at α = 0 (the mask taken as continuous:
/// the receiver's input = clean + α·(corrupted − clean) for that sender's part), and EAP-IG's is the mean, over its
/// points, of the derivative at each point along the same direction, both against central differences of the double
/// reference. Tolerance: the scores are sums of (corrupted − clean) · float32 gradients, whose error is ~1e-6 of the
/// largest gradient (<see cref="HookGradientTests"/>); 1e-4 of the largest score plus 1e-7 leaves room for that and
/// catches a wrong term, a wrong position or a wrong sign. Differences are taken with h = 1e-5 in double.
/// </summary>
[TestClass]
public sealed class EdgeAttributionTests
{
    private const double Step = 1e-5;
    private const double Relative = 1e-4, Absolute = 1e-7;

    [TestMethod]
    [DynamicData(nameof(CircuitCase.Representative), typeof(CircuitCase), DynamicDataSourceType.Method)]
    public void EapIsTheDerivativeOfTheMetricAlongEachEdgesMask(string preset, WeightQuantization mode, int layers)
    {
        var k = new CircuitCase(preset, mode, layers);
        var scores = EdgeAttribution.Eap(k.Patching, k.Patching.Metric(CircuitMetric.Loss));
        double Along(int edge, double h)
        {
            double At(double a)
            {
                var alpha = new double[k.Graph.Edges.Count];
                alpha[edge] = a;
                return k.Metric(CircuitMetric.Loss, k.Reference(alpha));
            }
            return (At(h) - At(-h)) / (2 * h);
        }
        Check(k, scores, Along);
    }

    /// <summary>The KL divergence from the clean run is at its minimum there: EAP of it is 0, exactly.</summary>
    [TestMethod]
    public void EapOfTheKlDivergenceIsZero()
    {
        var k = new CircuitCase(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1);
        Assert.IsTrue(EdgeAttribution.Eap(k.Patching, k.Patching.Metric(CircuitMetric.KlDivergence)).All(s => s == 0));
    }

    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, 1)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.Binary, 1)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.None, 2)]
    public void EapIgIsTheMeanOfTheDerivativesAtItsPoints(string preset, WeightQuantization mode, int layers)
    {
        const int steps = 3;
        var k = new CircuitCase(preset, mode, layers);
        foreach (var metric in Enum.GetValues<CircuitMetric>())
        {
            var scores = EdgeAttribution.EapIg(k.Patching, k.Patching.Metric(metric), steps);
            double Along(int index, double h)
            {
                var edge = k.Graph.Edges[index];
                var difference = k.Difference(edge.Sender.Name);
                var sum = 0.0;
                for (var point = 1; point <= steps; point++)
                {
                    // The point: the input embeddings (every edge out of them) a fraction of the way to corrupted.
                    var alpha = k.Graph.Edges.Select(e => e.Sender.Kind is SenderKind.Embed or SenderKind.PosEmbed ? (double)((float)point / steps) : 0).ToArray();
                    double At(double t) => k.Metric(metric, k.Reference(alpha,
                        new() { [edge.Receiver.Name] = difference.Select(x => t * x).ToArray() }));
                    sum += (At(h) - At(-h)) / (2 * h);
                }
                return sum / steps;
            }
            Check(k, scores, Along, metric.ToString());
        }
    }

    /// <summary>
    /// Each score against <paramref name="derivative"/>(edge, h). A ReLU input within a step of 0 puts the difference
    /// across a kink, where the function bends: the engine's derivative (one side's, as PyTorch's) then matches the
    /// difference at a tenth or a hundredth of the step instead. Such edges are counted; one kink reaches every edge into
    /// its MLP, so a quarter of the edges may sit on one.
    /// </summary>
    private static void Check(CircuitCase k, double[] scores, Func<int, double, double> derivative, string what = "loss")
    {
        var numeric = k.Graph.Edges.Select(e => derivative(e.Index, Step)).ToArray();
        var tolerance = Relative * numeric.Max(Math.Abs) + Absolute;
        int moving = 0, kinks = 0;
        foreach (var edge in k.Graph.Edges)
        {
            var (expected, actual) = (numeric[edge.Index], scores[edge.Index]);
            if (Math.Abs(expected - actual) > tolerance)
            {
                kinks++;
                expected = new[] { Step / 10, Step / 100 }.Select(h => derivative(edge.Index, h)).MinBy(x => Math.Abs(x - actual));
            }
            Assert.AreEqual(expected, actual, tolerance, $"{k}, {what}: {edge}");
            if (Math.Abs(expected) > 100 * tolerance) moving++;
        }
        Assert.IsTrue(moving >= 4, $"{k}, {what}: only {moving} of {k.Graph.Edges.Count} edges score above a hundred times the tolerance");
        Assert.IsTrue(kinks <= k.Graph.Edges.Count / 4, $"{k}, {what}: {kinks} edges sat on a ReLU kink: too many to be chance");
    }
}
