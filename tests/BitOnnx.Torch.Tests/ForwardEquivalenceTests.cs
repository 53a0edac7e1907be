using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Engine.Model;
using BitOnnx.Torch.Model;
using TorchSharp;

namespace BitOnnx.Torch.Tests;

/// <summary>
/// From identical weights, TorchSharp and the engine compute the same codes, logits and hooks (every hook, with the
/// engine's names and shapes), for both presets, three modes, 1 and 2 layers, on every pair of a small P.
/// </summary>
[TestClass]
public sealed class ForwardEquivalenceTests
{
    private const int P = 23;

    /// <summary>
    /// 1e-5 of each tensor's largest magnitude: both sides sum float32 products of at most d_mlp = 512 terms in
    /// different orders (≈ sqrt(512) · 6e-8 ≈ 1.4e-6 relative), and the codes, the only discontinuity, are equal.
    /// </summary>
    private const double Tolerance = 1e-5;

    [TestMethod]
    public void QuantizedCodesAndScalesAreTheEnginesExactly()
    {
        foreach (var mode in new[] { WeightQuantization.Binary, WeightQuantization.Ternary })
            foreach (var scale in Enum.GetValues<BinaryScale>())
            {
                var c = TransformerConfig.Li2024 with { P = P, Quantization = mode, BinaryScale = scale };
                var parameters = ParameterInitializer.Initialize(c, seed: 5);
                foreach (var info in parameters.Entries.Where(e => e.Quantizable))
                {
                    var latent = parameters.Slice(info).ToArray();
                    var engineCodes = new float[latent.Length];
                    var engineScale = WeightQuantizer.Codes(latent, engineCodes, mode, scale);
                    var engineWeights = new float[latent.Length];
                    WeightQuantizer.Quantize(latent, engineWeights, mode, scale);

                    using var tensor = torch.tensor(latent, info.Shape.ToLongArray());
                    var (codes, torchScale) = StraightThroughQuantizer.Codes(tensor, mode, scale);
                    using var weights = StraightThroughQuantizer.Quantized(tensor, mode, scale);
                    CollectionAssert.AreEqual(engineCodes, codes.data<float>().ToArray(), $"{mode} {scale} {info.Name} codes");
                    Assert.AreEqual(engineScale, torchScale?.item<float>() ?? 1f, $"{mode} {scale} {info.Name} scale");
                    CollectionAssert.AreEqual(engineWeights, weights.data<float>().ToArray(), $"{mode} {scale} {info.Name} weights");
                    codes.Dispose();
                    torchScale?.Dispose();
                }
            }
    }

    [TestMethod]
    public void StateDictKeysAreTheEnginesParameterNamesWithTheirShapes()
    {
        var c = TransformerConfig.Nanda2023 with { P = P, NLayers = 2 };
        using var model = new TorchTransformer(c);
        var keys = model.state_dict();
        var expected = ParameterSet.Zeros(c).Entries;
        CollectionAssert.AreEquivalent(expected.Select(e => e.Name).ToList(), keys.Keys.ToList());
        foreach (var e in expected) CollectionAssert.AreEqual(e.Shape.ToLongArray(), keys[e.Name].shape, e.Name);
        CollectionAssert.Contains(keys.Keys.ToList(), "blocks.1.attn.W_Q");
    }

    [TestMethod]
    public void LogitsAndEveryHookEqualTheEngines()
    {
        var rows = ModularAdditionData.AllRows(P);
        foreach (var c in EngineReference.Configs(P))
        {
            var parameters = ParameterInitializer.Initialize(c, seed: 11);
            var tokens = ModularAdditionData.Tokens(P, rows);
            var engine = ActivationCache.Run(c, parameters, tokens);

            using var model = new TorchTransformer(c);
            model.LoadFrom(parameters);
            using var batch = new TokenBatch(c, tokens, ModularAdditionData.Targets(P, rows));
            using var hooks = new HookRecorder();
            using (torch.no_grad()) model.Forward(batch, lastPositionOnly: false, hooks).Dispose();

            var expectedHooks = HookNames.For(c, rows.Length);
            CollectionAssert.AreEquivalent(expectedHooks.Select(h => h.Name).ToList(), hooks.Tensors.Keys.ToList(), EngineReference.Describe(c));
            foreach (var (name, shape) in expectedHooks)
            {
                CollectionAssert.AreEqual(shape.ToLongArray(), hooks.ShapeOf(name), $"{EngineReference.Describe(c)} {name} shape");
                var error = EngineReference.RelativeError(hooks.Values(name), engine[name].Data);
                Assert.IsTrue(error <= Tolerance, $"{EngineReference.Describe(c)} {name}: relative error {error:E2}");
            }
        }
    }

    [TestMethod]
    public void LastPositionShortcutGivesTheFullPassLogits()
    {
        var rows = ModularAdditionData.AllRows(P);
        foreach (var c in EngineReference.Configs(P).Where(c => c.NLayers == 2))
        {
            var parameters = ParameterInitializer.Initialize(c, seed: 3);
            using var model = new TorchTransformer(c);
            model.LoadFrom(parameters);
            using var batch = TokenBatch.For(c, rows);
            using var noGrad = torch.no_grad();
            using var full = model.Forward(batch, lastPositionOnly: false);
            using var shortcut = model.Forward(batch, lastPositionOnly: true);
            var error = EngineReference.RelativeError(shortcut.data<float>().ToArray(), full.data<float>().ToArray());
            Assert.IsTrue(error <= 1e-6, $"{EngineReference.Describe(c)}: {error:E2}");
        }
    }
}
