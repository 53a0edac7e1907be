using BitOnnx.Core.Data;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Interventions;
using BitOnnx.Torch.Model;
using BitOnnx.Torch.Training;
using TorchSharp;

namespace BitOnnx.Torch.Tests;

/// <summary>
/// Training and inspection with a thread that collects garbage and runs finalizers without pause, so that any Scalar or
/// intermediate tensor that nothing refers to during its native call (ScalarArithmetic) is freed while libtorch reads it.
/// Against the code before ScalarArithmetic one of the two failed in two runs of three: a race is found by chance, so
/// UnownedScalarTests is the deterministic guard for Scalars, and these cover the intermediate tensors it cannot see.
/// </summary>
[TestClass]
public sealed class CollectorStressTests
{
    private const int P = 23;

    [TestMethod]
    public void TrainingSurvivesACollectorThatNeverStops()
    {
        foreach (var c in new[] { TransformerConfig.Li2024 with { P = P, Quantization = WeightQuantization.Ternary }, TransformerConfig.Nanda2023 with { P = P } })
        {
            var data = ModularAdditionData.Split(P, 0.3, seed: 0);
            using var step = new TorchTrainingStep(c, ParameterInitializer.Initialize(c, seed: 0), new AdamWSettings(), data,
                threads: 1, new GrokfastSettings(0.9, 1));
            WhileCollecting(() =>
            {
                for (var i = 0; i < 60; i++)
                {
                    Assert.IsTrue(double.IsFinite(step.Run()), $"{c.Preset} step {i}");
                    step.Evaluate();
                }
            });
        }
    }

    /// <summary>The entry points an analysis calls outside any dispose scope: forward with hooks, codes, weights, state.</summary>
    [TestMethod]
    public void InspectionSurvivesACollectorThatNeverStops()
    {
        var c = TransformerConfig.Li2024 with { P = P, Quantization = WeightQuantization.Ternary };
        var data = ModularAdditionData.Split(P, 0.3, seed: 0);
        using var step = new TorchTrainingStep(c, ParameterInitializer.Initialize(c, seed: 0), new AdamWSettings(), data, threads: 1);
        step.Run();
        using var batch = TokenBatch.For(c, data.TestRows);
        var weights = step.Model.Parameters()[2].Parameter;
        WhileCollecting(() =>
        {
            for (var i = 0; i < 60; i++)
            {
                using var hooks = new HookRecorder();
                using (torch.no_grad()) step.Model.Forward(batch, lastPositionOnly: false, hooks).Dispose();
                var (codes, scale) = StraightThroughQuantizer.Codes(weights, c.Quantization, c.BinaryScale);
                codes.Dispose();
                scale?.Dispose();
                StraightThroughQuantizer.Quantized(weights, c.Quantization, c.BinaryScale).Dispose();
                step.Model.LoadFrom(step.Model.ToParameterSet());
                var (first, second, taken) = step.Moments();
                step.LoadMoments(first, second, taken);
                Assert.AreEqual(step.Model.ToParameterSet().Data.Length, step.Gradients().Data.Length);
            }
        });
    }

    /// <summary>The intervention entry points: a pass with writes, and one that keeps the hooks' gradients.</summary>
    [TestMethod]
    public void InterventionsSurviveACollectorThatNeverStops()
    {
        var c = TransformerConfig.Nanda2023 with { P = P, Quantization = WeightQuantization.Ternary, NLayers = 2 };
        var rows = ModularAdditionData.Split(P, 0.3, seed: 0).TrainRows;
        var tokens = ModularAdditionData.Tokens(P, rows);
        using var model = new TorchTransformer(c);
        model.LoadFrom(ParameterInitializer.Initialize(c, seed: 0));
        var clean = model.RunWithHooks(tokens);
        var writes = HookWrites.Resolve(c, [Intervention.Mean(HookNames.Embed, new HookIndex(Position: 0)),
            Intervention.Resample(HookNames.Pattern(1), new HookIndex(Head: 2)), Intervention.Zero(HookNames.MlpPre(0), new HookIndex(Neuron: 9))],
            rows.Count, name => clean.Activations[name].Data, seed: 0);
        var dLogits = new float[rows.Count * P];
        for (var r = 0; r < rows.Count; r++) dLogits[r * P + r % P] = 1f / rows.Count;
        var expectedForward = model.RunWithHooks(tokens, writes);
        var expected = model.HookGradients(tokens, writes, dLogits);
        WhileCollecting(() =>
        {
            for (var i = 0; i < 20; i++)
            {
                CollectionAssert.AreEqual(expectedForward.Logits, model.RunWithHooks(tokens, writes).Logits, $"pass {i}");
                var pass = model.HookGradients(tokens, writes, dLogits);
                CollectionAssert.AreEqual(expected.Gradients[HookNames.Embed].Data, pass.Gradients[HookNames.Embed].Data, $"pass {i}");
            }
        });
    }

    private static void WhileCollecting(Action work)
    {
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        try
        {
            work();
        }
        finally
        {
            stop.Cancel();
            collector.Wait();
        }
    }
}
