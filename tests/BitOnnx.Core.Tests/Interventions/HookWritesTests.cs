using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Tests.Interventions;

/// <summary>Interventions turned into masks and values, against values computed by hand.</summary>
[TestClass]
public sealed class HookWritesTests
{
    private static readonly TransformerConfig Config = TransformerConfig.Nanda2023 with { P = 5, DModel = 8, NHeads = 2, DHead = 4, DMlp = 6 };

    [TestMethod]
    public void AnIndexSelectsTheElementsTransformerLensNames()
    {
        var z = HookLayout.Of(Config, HookNames.Z(0));
        CollectionAssert.AreEqual(new[] { 3, 2, 4 }, z.Dims.ToArray());
        var head1 = z.Mask(new HookIndex(Head: 1));
        for (var i = 0; i < head1.Length; i++)
            Assert.AreEqual(i / 4 % 2 == 1 ? 1f : 0f, head1[i], $"element {i} = (pos {i / 8}, head {i / 4 % 2}, e {i % 4})");
        var pos2head0 = z.Mask(new HookIndex(Position: 2, Head: 0));
        Assert.AreEqual(4, pos2head0.Sum());
        Assert.IsTrue(pos2head0[16..20].All(v => v == 1));

        var pattern = HookLayout.Of(Config, HookNames.Pattern(0));
        var cell = pattern.Mask(new HookIndex(Position: 2, Head: 1, Source: 0));
        Assert.AreEqual(1, cell.Sum());
        Assert.AreEqual(1f, cell[1 * 9 + 2 * 3 + 0], "[head 1, dest 2, src 0]");

        var neuron = HookLayout.Of(Config, HookNames.MlpPost(0)).Mask(new HookIndex(Neuron: 4));
        CollectionAssert.AreEqual(new[] { 4, 10, 16 }, Enumerable.Range(0, neuron.Length).Where(i => neuron[i] == 1).ToArray(), "neuron 4 at every position");
    }

    [TestMethod]
    public void BadIndicesAndHooksAreRefusedNamingWhatTheModelHas()
    {
        var z = HookLayout.Of(Config, HookNames.Z(0));
        StringAssert.Contains(Assert.ThrowsException<InterventionException>(() => z.Mask(new HookIndex(Head: 2))).Message, "head 2 is out of range for hook 'blocks.0.attn.hook_z': it has 2 (head 0..1)");
        StringAssert.Contains(Assert.ThrowsException<InterventionException>(() => z.Mask(new HookIndex(Neuron: 0))).Message, "has no neuron axis");
        StringAssert.Contains(Assert.ThrowsException<InterventionException>(() => HookLayout.Of(Config, "blocks.3.hook_resid_pre")).Message, "has no hook 'blocks.3.hook_resid_pre'");
        StringAssert.Contains(Assert.ThrowsException<InterventionException>(() => HookLayout.Of(Config, HookNames.AttnScores(0))).Message, "write the pattern instead");
        StringAssert.Contains(Assert.ThrowsException<InterventionException>(() => HookLayout.Of(Config, HookNames.Logits)).Message, "cannot be written");
        var wrong = Intervention.Patch(HookNames.MlpOut(0), new float[7]);
        StringAssert.Contains(Assert.ThrowsException<InterventionException>(() => HookWrites.Resolve(Config, [wrong], 4, _ => [])).Message, "7 values do not fit");
    }

    [TestMethod]
    public void ZeroMeanResampleAndValuesWriteWhatTheySay()
    {
        const int rows = 4;
        var layout = HookLayout.Of(Config, HookNames.MlpPost(0));
        var clean = Enumerable.Range(0, rows * layout.RowSize).Select(i => (float)(i * 0.5 - 3)).ToArray();
        float Clean(int row, int pos, int neuron) => clean[row * 18 + pos * 6 + neuron];

        var mean = Single(HookWrites.Resolve(Config, [Intervention.Mean(HookNames.MlpPost(0), new HookIndex(Neuron: 2))], rows, _ => clean));
        var applied = (float[])clean.Clone();
        mean.ApplyTo(applied);
        for (var r = 0; r < rows; r++)
            for (var t = 0; t < 3; t++)
                for (var n = 0; n < 6; n++)
                {
                    var expected = n == 2 ? Enumerable.Range(0, rows).Average(q => Clean(q, t, n)) : Clean(r, t, n);
                    Assert.AreEqual(expected, applied[r * 18 + t * 6 + n], 1e-6, $"row {r} pos {t} neuron {n}");
                }

        var zero = Single(HookWrites.Resolve(Config, [Intervention.Zero(HookNames.MlpPost(0), new HookIndex(Position: 1))], rows, _ => throw new AssertFailedException("zero needs no clean run")));
        applied = (float[])clean.Clone();
        zero.ApplyTo(applied);
        Assert.IsTrue(Enumerable.Range(0, rows * 18).All(i => applied[i] == (i % 18 / 6 == 1 ? 0f : clean[i])));

        var sources = HookWrites.OtherRows(rows, seed: 5);
        CollectionAssert.AreEqual(sources, HookWrites.OtherRows(rows, seed: 5), "seeded");
        Assert.IsTrue(sources.Select((s, r) => s != r).All(x => x), "never the row itself");
        var resample = Single(HookWrites.Resolve(Config, [Intervention.Resample(HookNames.MlpPost(0))], rows, _ => clean, seed: 5));
        applied = (float[])clean.Clone();
        resample.ApplyTo(applied);
        for (var r = 0; r < rows; r++) CollectionAssert.AreEqual(clean[(sources[r] * 18)..((sources[r] + 1) * 18)], applied[(r * 18)..((r + 1) * 18)]);

        var patch = Enumerable.Range(0, 18).Select(i => 100f + i).ToArray();
        var values = Single(HookWrites.Resolve(Config, [Intervention.Patch(HookNames.MlpPost(0), patch, new HookIndex(Position: 2, Neuron: 5))], rows, _ => clean));
        applied = (float[])clean.Clone();
        values.ApplyTo(applied);
        for (var r = 0; r < rows; r++) Assert.AreEqual(100f + 17, applied[r * 18 + 17], "one row of values broadcast to every row");
        Assert.AreEqual(rows * 17, Enumerable.Range(0, rows * 18).Count(i => applied[i] == clean[i]), "nothing else written");
    }

    private static HookWrite Single(IReadOnlyList<HookWrite> writes)
    {
        Assert.AreEqual(1, writes.Count);
        return writes[0];
    }
}
