using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Engine.Sequence;
using BitOnnx.TestSupport;
using BitOnnx.Torch.Model;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Equivalence.Tests.Sequence;

/// <summary>
/// Tiny sequence models on 2-digit addition (n_ctx 10, d_vocab 15) with every parameter random, the same weights on
/// the engine and on TorchSharp, and the comparison the tests share.
/// </summary>
internal static class SequenceModels
{
    public static readonly ArithmeticTask Add2 = new(2, ArithmeticMix.Addition);

    /// <summary>d_model 8, two heads of 3, d_mlp 12, two layers.</summary>
    public static SequenceModelConfig Tiny(WeightQuantization quant = WeightQuantization.None, BinaryScale scale = BinaryScale.None) =>
        SequenceModelConfig.ForTask(Add2) with { DModel = 8, NHeads = 2, DHead = 3, DMlp = 12, NLayers = 2, Quantization = quant, BinaryScale = scale };

    /// <summary>Full precision, binary, binary scaled by mean |W|, ternary.</summary>
    public static IEnumerable<SequenceModelConfig> EveryWeightMode() =>
    [
        Tiny(), Tiny(WeightQuantization.Binary), Tiny(WeightQuantization.Binary, BinaryScale.AbsMean), Tiny(WeightQuantization.Ternary),
    ];

    public static IReadOnlyList<NamedTensor> RandomParameters(SequenceModelConfig c, long seed) => SequenceReference.RandomParameters(c, seed);

    /// <summary>TorchSharp's logits and every hook of one pass, [rows, ...] row-major floats each.</summary>
    public static Dictionary<string, float[]> TorchHooks(SequenceModelConfig c, IReadOnlyList<NamedTensor> parameters, LabelledBatch batch)
    {
        using var model = new SequenceTransformer(c);
        model.LoadFrom(parameters);
        using var hooks = new HookRecorder();
        using var tokens = SlotLoss.Tokens(batch);
        using var logits = model.Forward(tokens, hooks);
        return SequenceHooks.For(c, c.NCtx).ToDictionary(h => h.Name, h => hooks.Values(h.Name));
    }

    /// <summary>
    /// |engine − other| ≤ tolerance · (1 + max |other|) entry by entry, −∞ (a masked score) only where the other is −∞.
    /// The bound scales with the tensor's largest entry, not each entry's own size: a float32 sum's error follows its
    /// largest terms, and an entry near zero can be the cancellation of large ones (unscaled ±1 weights make such sums).
    /// </summary>
    public static void AssertClose(float[] other, float[] engine, double tolerance, string what)
    {
        Assert.AreEqual(other.Length, engine.Length, $"{what}: length");
        double scale = 1 + other.Where(float.IsFinite).Select(x => Math.Abs((double)x)).DefaultIfEmpty(0).Max();
        for (int i = 0; i < other.Length; i++)
        {
            if (float.IsNegativeInfinity(other[i]))
            {
                Assert.IsTrue(float.IsNegativeInfinity(engine[i]), $"{what}[{i}]: {engine[i]} where TorchSharp masks");
                continue;
            }
            Assert.AreEqual(other[i], engine[i], tolerance * scale, $"{what}[{i}]");
        }
    }

    public static EngineSequenceModel OnEngine(SequenceModelConfig c, IReadOnlyList<NamedTensor> parameters, int threads = 1) =>
        EngineSequenceModel.FromTensors(c, parameters, threads);
}
