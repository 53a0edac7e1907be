using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.TestSupport;
using BitOnnx.Torch.Interventions;

namespace BitOnnx.Torch.Tests.Interventions;

/// <summary>
/// The gradient of a metric with respect to every hook, from TorchSharp's one backward, equals central finite
/// differences of the double-precision reference's metric, element by element, with and without writes in the pass:
/// mean cross-entropy at the last position, and the logit difference logit[target] − logit[target + 1]. A finite
/// difference moves one element of a hook after its write, so it measures what the API promises (the gradient with
/// respect to the value the rest of the pass reads), and through a written element nothing upstream moves anything.
/// </summary>
[TestClass]
public sealed class HookGradientTests
{
    private const int P = 5;

    /// <summary>
    /// Central-difference step, in double: truncation ≈ h² · f‴ ≈ 1e-14 and rounding ≈ 1e-16 · |M| / h ≈ 2e-9, both far
    /// below float32's error. Small because a ReLU input within h of its kink breaks the difference there (half the
    /// slope on each side): with W_E and the linears ternary, sums of exact values leave pre-activations as small as
    /// 4.5e-6 (li2024 ternary, quant scope all), which h = 1e-5 straddled.
    /// </summary>
    private const double Step = 1e-7;

    /// <summary>
    /// 2e-5 of each hook's largest gradient magnitude. The float32 backward differs from exact arithmetic by a few
    /// roundings of 6e-8 per sum (≤ 12 products: d_mlp; chained forward and back through two blocks, a softmax and a
    /// norm), ≈ 1e-6 relative; the finite differences add ~1e-8 of the gradient. Measured: ≤ 2.0e-6 (q and k, whose
    /// gradients pass through the softmax's Jacobian), 10× below.
    /// </summary>
    private const double Tolerance = 2e-5;

    private static readonly int[] Rows = [1, 7, 13, 19, 22];

    private sealed record Metric(string Name, Func<double[], int, double> Value, Func<double[], int, double[]> Gradient);

    private static readonly Metric CrossEntropy = new("mean cross-entropy",
        (logits, target) => LogSumExp(logits) - logits[target],
        (logits, target) =>
        {
            var lse = LogSumExp(logits);
            var gradient = Array.ConvertAll(logits, l => Math.Exp(l - lse));
            gradient[target] -= 1;
            return gradient;
        });

    private static readonly Metric LogitDifference = new("logit difference",
        (logits, target) => logits[target] - logits[(target + 1) % logits.Length],
        (logits, target) =>
        {
            var gradient = new double[logits.Length];
            gradient[target] = 1;
            gradient[(target + 1) % logits.Length] = -1;
            return gradient;
        });

    [TestMethod]
    public void CrossEntropyGradientsAtEveryHookEqualFiniteDifferences() => Check(CrossEntropy);

    [TestMethod]
    public void LogitDifferenceGradientsAtEveryHookEqualFiniteDifferences() => Check(LogitDifference);

    /// <summary>Overwritten elements pass no gradient upstream: exactly zero, not small. Nor do the parameters get any.</summary>
    [TestMethod]
    public void AWrittenElementPassesNoGradientUpstream()
    {
        foreach (var c in InterventionCases.Configs(P, dModel: 8, heads: 2, dHead: 4, dMlp: 12).Where(c => c.NLayers == 2))
        {
            var latent = ParameterInitializer.Initialize(c, seed: 31);
            var tokens = InterventionCases.Tokens(P, Rows);
            var (rows, logitsSize) = (Rows.Length, c.DVocabOut);
            var neuron = new HookIndex(Neuron: 4);
            var writes = HookWrites.Resolve(c,
                [Intervention.Patch(HookNames.ResidPre(1), InterventionCases.Draws(HookLayout.Of(c, HookNames.ResidPre(1)).RowSize, 3)),
                 Intervention.Zero(HookNames.MlpPost(1), neuron)], rows, _ => throw new InvalidOperationException());
            using var model = InterventionCases.Model(c, latent);
            var pass = model.HookGradients(tokens, writes, InterventionCases.Draws(rows * logitsSize, 4));
            var label = InterventionCases.Describe(c);
            Assert.IsTrue(model.Parameters().All(p => p.Parameter.grad is null), $"{label}: the parameters' .grad stays untouched");
            foreach (var (name, _) in HookNames.For(c, rows).TakeWhile(h => h.Name != HookNames.ResidPre(1)))
                Assert.IsTrue(pass.Gradients[name].Data.All(g => g == 0), $"{label}: {name} is upstream of a full write");
            Assert.IsTrue(pass.Gradients[HookNames.ResidPre(1)].Data.Any(g => g != 0), $"{label}: the written hook has the gradient of its values");
            var layout = HookLayout.Of(c, HookNames.MlpPre(1));
            var mask = layout.Mask(neuron);
            var pre = pass.Gradients[HookNames.MlpPre(1)].Data;
            var post = pass.Gradients[HookNames.MlpPost(1)].Data;
            for (var i = 0; i < pre.Length; i++)
                if (mask[i % mask.Length] != 0) Assert.AreEqual(0f, pre[i], $"{label}: hook_pre under a written hook_post element");
            Assert.IsTrue(Enumerable.Range(0, post.Length).Any(i => mask[i % mask.Length] != 0 && post[i] != 0), $"{label}: the written neuron's own gradient");
        }
    }

    private static void Check(Metric metric)
    {
        foreach (var c in InterventionCases.Configs(P, dModel: 8, heads: 2, dHead: 4, dMlp: 12))
        {
            var latent = ParameterInitializer.Initialize(c, seed: 30);
            var tokens = InterventionCases.Tokens(P, Rows);
            var targets = ModularAdditionData.Targets(P, Rows);
            var engine = InterventionCases.EngineClean(c, latent, tokens);
            var last = c.NLayers - 1;
            Intervention[] interventions =
            [
                Intervention.Zero(HookNames.Embed, new HookIndex(Position: 1)),
                Intervention.Zero(HookNames.Pattern(0), new HookIndex(Position: 2, Head: 1, Source: 0)),
                Intervention.Mean(HookNames.Z(last), new HookIndex(Head: 0)),
                Intervention.Patch(HookNames.MlpPre(0), InterventionCases.Draws(HookLayout.Of(c, HookNames.MlpPre(0)).RowSize, 8), new HookIndex(Neuron: 2)),
                Intervention.Resample(HookNames.ResidPre(last), new HookIndex(Position: 1)),
            ];
            var reference = new HookedReference(c, InterventionCases.Effective(c, latent));
            using var model = InterventionCases.Model(c, latent);
            foreach (var writes in new[] { [], HookWrites.Resolve(c, interventions, Rows.Length, name => engine[name].Data, seed: 2) })
            {
                var logits = reference.Run(tokens, writes)[HookNames.Logits];
                var dLogits = new float[logits.Length];
                for (var r = 0; r < Rows.Length; r++)
                {
                    var gradient = metric.Gradient(logits[(r * P)..((r + 1) * P)], targets[r]);
                    for (var o = 0; o < P; o++) dLogits[r * P + o] = (float)(gradient[o] / Rows.Length);
                }
                var pass = model.HookGradients(tokens, writes, dLogits);
                var expected = FiniteDifferences(c, reference, tokens, targets, writes, metric);
                foreach (var (name, _) in HookNames.For(c, Rows.Length))
                {
                    var error = InterventionCases.RelativeError(pass.Gradients[name].Data, expected[name]);
                    Assert.IsTrue(error <= Tolerance, $"{InterventionCases.Describe(c)}, {metric.Name}, {writes.Count} writes: d/d {name} relative error {error:E2}");
                }
            }
        }
    }

    /// <summary>dM/dH for every element of every hook; moving an element of row r changes only row r's term of M.</summary>
    private static Dictionary<string, double[]> FiniteDifferences(TransformerConfig c, HookedReference reference, int[] tokens, int[] targets,
        IReadOnlyList<HookWrite> writes, Metric metric)
    {
        var rows = targets.Length;
        var result = new Dictionary<string, double[]>();
        foreach (var (name, shape) in HookNames.For(c, rows))
        {
            var gradient = result[name] = new double[shape.Size];
            var rowSize = shape.Size / rows;
            for (var r = 0; r < rows; r++)
                for (var i = 0; i < rowSize; i++)
                {
                    double Moved(double by) => metric.Value(reference.Row(tokens.AsSpan(r * c.NCtx, c.NCtx),
                        HookedReference.Applying(writes, r, (hook, values) => { if (hook == name) values[i] += by; })), targets[r]);
                    gradient[r * rowSize + i] = (Moved(Step) - Moved(-Step)) / (2 * Step * rows);
                }
        }
        return result;
    }

    private static double LogSumExp(double[] x)
    {
        var max = x.Max();
        return max + Math.Log(x.Sum(v => Math.Exp(v - max)));
    }
}
