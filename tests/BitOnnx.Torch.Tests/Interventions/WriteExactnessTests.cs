using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Torch.Interventions;

namespace BitOnnx.Torch.Tests.Interventions;

/// <summary>
/// A write is a select, to the bit, at every writable hook: the written hook is HookWrite.ApplyTo (Core's reference) of
/// the clean activation, every hook before it is the clean one, and a mask of zeros leaves the whole pass (and its hook
/// gradients) the clean pass. Both passes are checked: the forward one (block 0 on its table unless a write needs the
/// residual path) and the one that keeps gradients (block 0 always on the residual path).
/// </summary>
[TestClass]
public sealed class WriteExactnessTests
{
    private const int P = 7;

    [TestMethod]
    public void AWriteIsApplyToOfTheCleanHookAndLeavesEveryEarlierHookAlone()
    {
        foreach (var c in InterventionCases.Configs(P))
        {
            var (model, tokens, rows) = Setup(c);
            using var _ = model;
            var dLogits = InterventionCases.Draws(rows * c.DVocabOut, 1);
            var clean = model.RunWithHooks(tokens);
            var cleanWithGradients = model.HookGradients(tokens, [], dLogits);
            var seed = 0;
            foreach (var hook in WritableHooks(c))
            {
                var layout = HookLayout.Of(c, hook);
                var random = new Random(++seed);
                var mask = Enumerable.Range(0, layout.RowSize).Select(i => i == 0 || (i > 1 && random.Next(2) == 0) ? 1f : 0f).ToArray();
                var write = new HookWrite(layout, mask, InterventionCases.Draws(rows * layout.RowSize, seed));
                foreach (var (baseline, pass) in new[]
                {
                    (clean, model.RunWithHooks(tokens, [write])),
                    (cleanWithGradients, model.HookGradients(tokens, [write], dLogits)),
                })
                {
                    var expected = (float[])baseline.Activations[hook].Data.Clone();
                    write.ApplyTo(expected);
                    AssertBitwise(expected, pass.Activations[hook].Data, $"{InterventionCases.Describe(c)}: written {hook}");
                    foreach (var (earlier, _) in HookNames.For(c, rows).TakeWhile(h => h.Name != hook))
                        AssertBitwise(baseline.Activations[earlier].Data, pass.Activations[earlier].Data, $"{InterventionCases.Describe(c)}: {earlier} before written {hook}");
                }
            }
        }
    }

    [TestMethod]
    public void AMaskOfZerosGivesTheCleanPassExactly()
    {
        foreach (var c in InterventionCases.Configs(P))
        {
            var (model, tokens, rows) = Setup(c);
            using var _ = model;
            var dLogits = InterventionCases.Draws(rows * c.DVocabOut, 2);
            var writes = WritableHooks(c)
                .Select((hook, i) => HookLayout.Of(c, hook) is var layout ? new HookWrite(layout, new float[layout.RowSize], InterventionCases.Draws(rows * layout.RowSize, i)) : null!)
                .ToList();
            foreach (var (clean, written) in new[]
            {
                (model.RunWithHooks(tokens), model.RunWithHooks(tokens, writes)),
                (model.HookGradients(tokens, [], dLogits), model.HookGradients(tokens, writes, dLogits)),
            })
                foreach (var (name, _) in HookNames.For(c, rows))
                {
                    AssertBitwise(clean.Activations[name].Data, written.Activations[name].Data, $"{InterventionCases.Describe(c)}: {name}");
                    if (clean.Gradients.Count > 0)
                        AssertBitwise(clean.Gradients[name].Data, written.Gradients[name].Data, $"{InterventionCases.Describe(c)}: d/d {name}");
                }
        }
    }

    /// <summary>The two paths block 0 takes agree (float32 products of different shapes, so to rounding, not to the bit).</summary>
    [TestMethod]
    public void TheTablePathAndTheResidualPathGiveTheSameHooks()
    {
        foreach (var c in InterventionCases.Configs(P))
        {
            var (model, tokens, rows) = Setup(c);
            using var _ = model;
            var table = model.RunWithHooks(tokens);
            var residual = model.HookGradients(tokens, [], new float[rows * c.DVocabOut]);
            foreach (var (name, _) in HookNames.For(c, rows))
            {
                var error = EngineReference.RelativeError(residual.Activations[name].Data, table.Activations[name].Data);
                Assert.IsTrue(error <= 1e-6, $"{InterventionCases.Describe(c)}: {name} {error:E2}");
            }
        }
    }

    private static (Model.TorchTransformer Model, int[] Tokens, int Rows) Setup(TransformerConfig c)
    {
        var rows = ModularAdditionData.AllRows(P);
        return (InterventionCases.Model(c, ParameterInitializer.Initialize(c, seed: 12)), InterventionCases.Tokens(P, rows), rows.Length);
    }

    private static IEnumerable<string> WritableHooks(TransformerConfig c) =>
        HookNames.For(c, 1).Select(h => h.Name).Where(HookLayout.IsWritable);

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (var i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, not {expected[i]:R}");
    }
}
