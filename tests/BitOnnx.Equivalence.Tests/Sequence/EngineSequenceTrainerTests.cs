using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Sequence;
using BitOnnx.TestSupport;
using BitOnnx.Torch.Sequence;
using static BitOnnx.Equivalence.Tests.Sequence.SequenceModels;

namespace BitOnnx.Equivalence.Tests.Sequence;

/// <summary>
/// The engine's sequence trainer: a resumed run is the uninterrupted run to the bit, one thread and two give the same
/// bits, its parameters follow TorchSharp's trainer step for step, and each backend resumes the other's checkpoint.
/// </summary>
[TestClass]
public sealed class EngineSequenceTrainerTests
{
    private static readonly SequenceTrainingOptions Options = new() { Steps = 6, BatchSize = 16, LearningRate = 1e-2, Seed = 4, MetricsEvery = 2 };

    [TestMethod]
    public void ThreeStepsSavedAndResumedForThreeAreSixStepsToTheBit()
    {
        var c = Tiny(WeightQuantization.Ternary);
        var whole = EngineSequenceTrainer.Start(c, Add2, Options);
        whole.Run();
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "model.safetensors");
        var first = EngineSequenceTrainer.Start(c, Add2, Options);
        using (var stop = new CancellationTokenSource())
            first.Run(p => { if (p.Step == 2) stop.Cancel(); }, stop.Token);
        Assert.AreEqual(3, first.Step, "cancelled between steps, after the step it was observed in");
        first.Save(path);
        var saved = SequenceCheckpoint.Load(path);
        Assert.AreEqual(("add2", 3L, 4L), (saved.Config.Task, saved.Step, saved.Seed));
        var resumed = EngineSequenceTrainer.Resume(path, Add2, Options);
        resumed.Run();
        Assert.AreEqual(6, resumed.Step);
        CollectionAssert.AreEqual(whole.Model.Parameters.Data, resumed.Model.Parameters.Data);
        Assert.IsFalse(whole.Model.Parameters.Data.SequenceEqual(first.Model.Parameters.Data), "the last three steps moved the weights");
    }

    [TestMethod]
    public void OneThreadAndTwoTrainTheSameBits()
    {
        var c = Tiny(WeightQuantization.Binary, BinaryScale.AbsMean);
        var options = Options with { Steps = 3, BatchSize = 160 };
        var one = EngineSequenceTrainer.Train(c, Add2, options, threads: 1);
        var two = EngineSequenceTrainer.Train(c, Add2, options, threads: 2);
        CollectionAssert.AreEqual(one.Parameters.Data, two.Parameters.Data);
    }

    [TestMethod]
    public void ObserverHearsEveryNthStepAndTheLast()
    {
        var steps = new List<long>();
        var options = Options with { Steps = 7, MetricsEvery = 3 };
        EngineSequenceTrainer.Train(Tiny(), Add2, options, p =>
        {
            steps.Add(p.Step);
            Assert.AreEqual(Add2.Slots.Count, p.Score.SlotAccuracy.Count);
            Assert.IsTrue(p.Score.Loss > 0 && double.IsFinite(p.Score.Loss));
            Assert.AreEqual(options.Schedule.LearningRateAt(p.Step), p.LearningRate);
        });
        CollectionAssert.AreEqual(new long[] { 0, 3, 6 }, steps);
    }

    /// <summary>
    /// Six steps at lr 1e-2 from the same random weights (a step-0 checkpoint both backends resume): every parameter
    /// within 1e-3 of TorchSharp's. Adam moves each weight by about lr per step whatever its gradient's size, so a wrong
    /// decay, schedule or moment shows as ~1e-2; the backends' float32 gradients differ by ~1e-5 of their size, which
    /// Adam's normalisation passes on as ~1e-5 of lr. Except b_K: it adds q·b_K to every score of a query alike, which
    /// the softmax ignores, so its gradient is zero and each backend's is rounding noise, which Adam scales up to steps
    /// of lr in directions of its own. Random weights, not TransformerLens' initialisation: there b_in = 0 and
    /// LayerNorm's output sums to zero, so a W_in column whose binary codes are all equal (2 in 2^8 at d_model 8) puts
    /// its ReLU exactly at the kink, where each backend's rounding picks a side and Adam's first step, lr · sign(g),
    /// follows it. Quantized, W_O's and W_out's latents are held to their codes (equal) and the loss of every step
    /// rather than to 1e-3: the STE subtracts mean(G) from their gradient G, and that mean is
    /// zero (G's columns sum the gradient at the residual stream over d_model, which LayerNorm's backward makes sum to
    /// zero), so the latents of a unit that is off for the whole batch move by rounding noise, as b_K's. Those latents
    /// enter the scale (β = mean |W|, ternary's γ), so quantized losses are held to 1e-4 of themselves, full precision's to 1e-6.
    /// </summary>
    [TestMethod]
    public void ParametersFollowTorchSharpsTrainerInEveryWeightMode()
    {
        using var dir = new TempDir();
        foreach (var c in EveryWeightMode())
        {
            var path = Path.Combine(dir.Path, $"{c.Quantization}-{c.BinaryScale}.safetensors");
            var parameters = RandomParameters(c, seed: 41);
            var zeros = parameters.Select(p => p with { Data = new float[p.Data.Length] }).ToList();
            SequenceCheckpoint.Save(path, new SequenceCheckpoint.Contents(c, Options.Seed, 0, parameters, zeros, zeros));
            var options = Options with { MetricsEvery = 1 };
            List<double> engineLosses = [], torchLosses = [];
            var engine = EngineSequenceTrainer.Resume(path, Add2, options);
            engine.Run(p => engineLosses.Add(p.Score.Loss));
            using var torchTrainer = SequenceTrainer.Resume(path, Add2, options);
            torchTrainer.Run(p => torchLosses.Add(p.Score.Loss));
            string what = $"{c.Quantization} {c.BinaryScale}";
            Assert.AreEqual(Options.Steps, engineLosses.Count);
            double lossTolerance = c.Quantization == WeightQuantization.None ? 1e-6 : 1e-4;
            for (int i = 0; i < engineLosses.Count; i++) Assert.AreEqual(torchLosses[i], engineLosses[i], lossTolerance * torchLosses[i], $"{what} loss of step {i}");
            var expected = torchTrainer.Model.ToNamedTensors();
            var actual = engine.Model.ToNamedTensors();
            AssertParametersClose(expected, actual, what,
                skip: name => c.Quantization != WeightQuantization.None && (name.EndsWith("attn.W_O", StringComparison.Ordinal) || name.EndsWith("mlp.W_out", StringComparison.Ordinal)));
            foreach (var info in c.Parameters().Where(p => p.Quantizable && c.Quantization != WeightQuantization.None))
            {
                float[] Codes(IReadOnlyList<NamedTensor> tensors)
                {
                    var latent = tensors.Single(t => t.Name == info.Name).Data;
                    var codes = new float[latent.Length];
                    WeightQuantizer.Codes(latent, codes, c.Quantization, c.BinaryScale);
                    return codes;
                }
                CollectionAssert.AreEqual(Codes(expected), Codes(actual), $"{what} codes of {info.Name}");
            }
        }
    }

    /// <summary>Three steps on one backend, saved, three more on the other: within 1e-3 (as above) of six on one.</summary>
    [TestMethod]
    public void EachBackendResumesTheOthersCheckpoint()
    {
        var c = Tiny(WeightQuantization.Ternary);
        using var dir = new TempDir();
        string fromTorch = Path.Combine(dir.Path, "torch.safetensors"), fromEngine = Path.Combine(dir.Path, "engine.safetensors");
        // Stopped after step 2 of a six-step run: the schedule is the six-step run's.
        using (var torchFirst = SequenceTrainer.Start(c, Add2, Options))
        using (var stop = new CancellationTokenSource())
        {
            torchFirst.Run(p => { if (p.Step == 2) stop.Cancel(); }, stop.Token);
            torchFirst.Save(fromTorch);
        }
        var engineFirst = EngineSequenceTrainer.Start(c, Add2, Options);
        using (var stop = new CancellationTokenSource())
            engineFirst.Run(p => { if (p.Step == 2) stop.Cancel(); }, stop.Token);
        engineFirst.Save(fromEngine);

        var engineResumed = EngineSequenceTrainer.Resume(fromTorch, Add2, Options);
        engineResumed.Run();
        using var torchWhole = SequenceTrainer.Train(c, Add2, Options);
        AssertParametersClose(torchWhole.ToNamedTensors(), engineResumed.Model.ToNamedTensors(), "engine after TorchSharp");

        using var torchResumed = SequenceTrainer.Resume(fromEngine, Add2, Options);
        torchResumed.Run();
        Assert.AreEqual(6, torchResumed.Step);
        AssertParametersClose(EngineSequenceTrainer.Train(c, Add2, Options).ToNamedTensors(), torchResumed.Model.ToNamedTensors(), "TorchSharp after the engine");
    }

    private static void AssertParametersClose(IReadOnlyList<NamedTensor> expected, IReadOnlyList<NamedTensor> actual, string what, Func<string, bool>? skip = null)
    {
        Assert.AreEqual(expected.Count, actual.Count);
        for (int p = 0; p < expected.Count; p++)
        {
            Assert.AreEqual(expected[p].Name, actual[p].Name);
            if (expected[p].Name.EndsWith("attn.b_K", StringComparison.Ordinal) || skip?.Invoke(expected[p].Name) == true) continue;
            for (int i = 0; i < expected[p].Data.Length; i++)
                Assert.AreEqual(expected[p].Data[i], actual[p].Data[i], 1e-3, $"{what}: {expected[p].Name}[{i}]");
        }
    }
}
