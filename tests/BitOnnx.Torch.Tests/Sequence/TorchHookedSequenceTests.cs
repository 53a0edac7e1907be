using BitOnnx.Core;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.TestSupport;
using BitOnnx.Torch.Model;
using BitOnnx.Torch.Sequence;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Tests.Sequence;

/// <summary>
/// The TorchSharp model as an IHookedSequenceModel: writes against the same writes done inside the float64 loop
/// forward (SequenceReference), captures against the HookRecorder's values.
/// </summary>
[TestClass]
public sealed class TorchHookedSequenceTests
{
    private static readonly ArithmeticTask Add2 = new(2, ArithmeticMix.Addition);

    private static (SequenceModelConfig Config, IReadOnlyList<NamedTensor> Parameters, LabelledBatch Batch) Setup(int rows)
    {
        var c = SequenceTransformerTests.Tiny(Add2);
        return (c, SequenceReference.RandomParameters(c, seed: 11), Add2.Batch(seed: 5, step: 0, batchSize: rows));
    }

    [TestMethod]
    public void CapturedHooksAreTheRecordersValues()
    {
        var (c, parameters, batch) = Setup(3);
        using var model = new SequenceTransformer(c);
        model.LoadFrom(parameters);
        var names = SequenceHooks.For(c, c.NCtx).Select(h => h.Name).ToArray();
        var run = new TorchHookedSequence(model).Run(batch.Tokens.ToArray(), 3, c.NCtx, [], names);
        using var recorder = new HookRecorder();
        using var tokens = SlotLoss.Tokens(batch);
        using var logits = model.Forward(tokens, recorder);
        CollectionAssert.AreEqual(logits.data<float>().ToArray(), run.Logits);
        Assert.AreEqual(names.Length, run.Hooks.Count);
        foreach (var (name, shape) in SequenceHooks.For(c, c.NCtx))
        {
            CollectionAssert.AreEqual(new long[] { 3 }.Concat(shape.ToLongArray()).ToArray(), recorder.ShapeOf(name), name);
            CollectionAssert.AreEqual(recorder.Values(name), run.Hooks[name], name);
        }
    }

    [TestMethod]
    public void WritesAreTheSameWritesInTheFloat64LoopForward()
    {
        var (c, parameters, batch) = Setup(2);
        using var model = new SequenceTransformer(c, ScalarType.Float64);
        model.LoadFrom(parameters);
        int t = c.NCtx, e = c.DHead, h = c.NHeads, m = c.DMlp, d = c.DModel;
        // hook_z of layer 0, head 1, position 4: one value per row; hook_post of layer 1 at position 6: one row for all;
        // hook_resid_post of layer 0 at position 2, only its first element.
        const int zPos = 4, zHead = 1, mlpPos = 6, residPos = 2;
        var zMask = new float[t * h * e];
        var zValues = new float[2 * t * h * e];
        for (int a = 0; a < e; a++)
        {
            zMask[(zPos * h + zHead) * e + a] = 1;
            for (int row = 0; row < 2; row++) zValues[row * t * h * e + (zPos * h + zHead) * e + a] = 0.25f * (a + 1) - row;
        }
        var mlpMask = new float[t * m];
        var mlpValues = new float[t * m];
        for (int n = 0; n < m; n++) { mlpMask[mlpPos * m + n] = 1; mlpValues[mlpPos * m + n] = 0.1f * n; }
        var residMask = new float[t * d];
        var residValues = new float[t * d];
        residMask[residPos * d] = 1;
        residValues[residPos * d] = 3f;
        var writes = new[]
        {
            new SequenceHookWrite(HookNames.Z(0), zMask, zValues),
            new SequenceHookWrite(HookNames.MlpPost(1), mlpMask, mlpValues),
            new SequenceHookWrite(HookNames.ResidPost(0), residMask, residValues),
        };
        var run = new TorchHookedSequence(model).Run(batch.Tokens.ToArray(), 2, t, writes, [HookNames.Z(0)]);
        for (int row = 0; row < 2; row++)
        {
            int r = row;
            var expected = SequenceReference.Logits(c, parameters, batch.Sequence(row).ToArray(), (hook, position, head, values) =>
            {
                if (hook == HookNames.Z(0) && position == zPos && head == zHead)
                    for (int a = 0; a < e; a++) values[a] = 0.25f * (a + 1) - r;
                if (hook == HookNames.MlpPost(1) && position == mlpPos)
                    for (int n = 0; n < m; n++) values[n] = 0.1f * n;
                if (hook == HookNames.ResidPost(0) && position == residPos) values[0] = 3f;
            });
            bool changed = false;
            for (int i = 0; i < t; i++)
                for (int u = 0; u < c.DVocabOut; u++)
                {
                    Assert.AreEqual(expected[i][u], run.Logits[(row * t + i) * c.DVocabOut + u], 1e-5, $"row {row} position {i} logit {u}");
                    changed |= i >= residPos && Math.Abs(expected[i][u] - SequenceReference.Logits(c, parameters, batch.Sequence(row).ToArray())[i][u]) > 1e-3;
                }
            Assert.IsTrue(changed, "the writes change the logits");
            Assert.AreEqual(0.25f * 2 - row, run.Hooks[HookNames.Z(0)][row * t * h * e + (zPos * h + zHead) * e + 1], "the captured hook is the written value");
        }
    }

    [TestMethod]
    public void AWriteOfTheWrongSizeOrAnUnknownHookIsOneSentence()
    {
        var (c, parameters, batch) = Setup(1);
        using var model = new SequenceTransformer(c);
        model.LoadFrom(parameters);
        var hooked = new TorchHookedSequence(model);
        var tokens = batch.Tokens.ToArray();
        var wrongMask = Assert.ThrowsExactly<BitOnnxException>(() => hooked.Run(tokens, 1, c.NCtx, [new SequenceHookWrite(HookNames.ResidPost(0), new float[3], new float[3])], []));
        StringAssert.Contains(wrongMask.Message, "mask of 3 values");
        var unknown = Assert.ThrowsExactly<BitOnnxException>(() => hooked.Run(tokens, 1, c.NCtx, [], ["blocks.7.hook_resid_post"]));
        StringAssert.Contains(unknown.Message, "is not a hook");
    }
}
