using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.Engine.Tests.Training;

[TestClass]
public sealed class GrokfastTests
{
    private static readonly TransformerConfig Tiny = TransformerConfig.Li2024 with { P = 2, DModel = 2, NHeads = 1, DHead = 2, DMlp = 2 };

    private static readonly TransformerConfig Small = SmallConfigs.Training;

    private static ParameterSet Filled(Func<int, float> value)
    {
        var set = ParameterSet.Zeros(Tiny);
        for (var i = 0; i < set.Data.Length; i++) set.Data[i] = value(i);
        return set;
    }

    /// <summary>
    /// α = 0.75, λ = 2 and gradients that are multiples of 1/4 keep every float operation exact, so the closed form
    /// holds with equality: ema₁ = g₁ (the average starts at the first gradient), ĝ₁ = 3·g₁; ema₂ = ¾·g₁ + ¼·g₂,
    /// ĝ₂ = g₂ + 2·ema₂.
    /// </summary>
    [TestMethod]
    public void TwoStepsMatchTheClosedFormExactly()
    {
        Func<int, float> g1 = i => (i % 5 - 2) * 0.5f, g2 = i => (i % 3 - 1) * 0.25f + 1;
        var filter = new GrokfastFilter(new GrokfastSettings(0.75, 2), null);
        var first = Filled(g1);
        filter.Apply(first);
        var second = Filled(g2);
        filter.Apply(second);
        for (var i = 0; i < first.Data.Length; i++)
        {
            Assert.AreEqual(3 * g1(i), first.Data[i], $"step 1, element {i}");
            var ema = 0.75f * g1(i) + 0.25f * g2(i);
            Assert.AreEqual(ema, filter.Average!.Data[i], $"average after step 2, element {i}");
            Assert.AreEqual(g2(i) + 2 * ema, second.Data[i], $"step 2, element {i}");
        }
    }

    /// <summary>The paper's α = 0.98, λ = 2 against the closed form in double, then AdamW's two steps on the filtered gradients.</summary>
    [TestMethod]
    public void PaperSettingsFeedAdamWTheFilteredGradient()
    {
        Func<int, float> g1 = i => MathF.Sin(i + 1), g2 = i => MathF.Cos(3 * i);
        const double alpha = 0.98, lambda = 2;
        var settings = new AdamWSettings();
        var parameters = Filled(i => 0.1f * i - 1);
        var start = parameters.Clone();
        var filter = new GrokfastFilter(new GrokfastSettings(alpha, lambda), null);
        var adam = new AdamW(settings, parameters);
        foreach (var g in new[] { g1, g2 })
        {
            var gradient = Filled(g);
            filter.Apply(gradient);
            adam.Update(parameters, gradient);
        }
        for (var i = 0; i < parameters.Data.Length; i++)
        {
            double f1 = (1 + lambda) * g1(i), ema2 = alpha * g1(i) + (1 - alpha) * g2(i), f2 = g2(i) + lambda * ema2;
            double p = start.Data[i], m = 0, v = 0;
            var steps = new[] { f1, f2 };
            for (var t = 1; t <= 2; t++)
            {
                var f = steps[t - 1];
                p *= 1 - settings.LearningRate * settings.WeightDecay;
                m = settings.Beta1 * m + (1 - settings.Beta1) * f;
                v = settings.Beta2 * v + (1 - settings.Beta2) * f * f;
                var mHat = m / (1 - Math.Pow(settings.Beta1, t));
                var vHat = v / (1 - Math.Pow(settings.Beta2, t));
                p -= settings.LearningRate * mHat / (Math.Sqrt(vHat) + settings.Epsilon);
            }
            Assert.AreEqual(p, parameters.Data[i], 1e-6, $"element {i}");
        }
    }

    [TestMethod]
    public void VectorPathMatchesTheScalarReferenceBitForBit()
    {
        var config = Small;
        var random = new Random(5);
        var gradient = ParameterSet.Zeros(config);
        var average = gradient.ZerosLike();
        for (var i = 0; i < gradient.Data.Length; i++) (gradient.Data[i], average.Data[i]) = ((float)random.NextDouble() - 0.5f, (float)random.NextDouble() - 0.5f);
        var settings = new GrokfastSettings(0.98, 2);
        var filter = new GrokfastFilter(settings, average);
        var (expectedAverage, expectedGradient) = ((float[])average.Data.Clone(), (float[])gradient.Data.Clone());
        filter.Apply(gradient);
        GrokfastFilter.ApplyReference(settings, expectedAverage, expectedGradient);
        CollectionAssert.AreEqual(expectedGradient, gradient.Data);
        CollectionAssert.AreEqual(expectedAverage, filter.Average!.Data);
    }

    private static TrainingOptions Options(int epochs, GrokfastSettings? grokfast) => new()
    {
        Epochs = epochs,
        Seed = 4,
        LogEvery = 5,
        CheckpointEvery = 10,
        Threads = 2,
        Grokfast = grokfast,
    };

    private static RunFolder TempRun() => new(TempDir.NewPath());

    [TestMethod]
    public void DeterministicAndChangesTheWeights()
    {
        var on = new GrokfastSettings(0.98, 2);
        var (a, b, off) = (TempRun(), TempRun(), TempRun());
        new Trainer(Small, Options(20, on), a, EngineBackend.Instance).Run();
        new Trainer(Small, Options(20, on), b, EngineBackend.Instance).Run();
        new Trainer(Small, Options(20, null), off, EngineBackend.Instance).Run();
        CollectionAssert.AreEqual(File.ReadAllBytes(a.ResumeFile), File.ReadAllBytes(b.ResumeFile));
        CollectionAssert.AreNotEqual(ModelCheckpoint.Load(a.ModelFile).Parameters.Data, ModelCheckpoint.Load(off.ModelFile).Parameters.Data);
        var resume = ModelCheckpoint.Load(a.ResumeFile);
        Assert.IsTrue(resume.Tensors.Keys.Count(k => k.StartsWith("grokfast.grads_ema.", StringComparison.Ordinal)) == resume.Parameters.Entries.Count);
        Assert.AreEqual("0.98,2", resume.Metadata["grokfast"]);
        StringAssert.Contains(File.ReadAllText(a.ConfigFile), "\"grokfast_alpha\": 0.98");
    }

    [TestMethod]
    public void InterruptedAndResumedEndsIdenticalToUninterrupted()
    {
        var on = new GrokfastSettings(0.9, 5);
        var straight = TempRun();
        new Trainer(Small, Options(40, on), straight, EngineBackend.Instance).Run();

        var interrupted = TempRun();
        using var cancel = new CancellationTokenSource();
        var progress = new InlineProgress(p => { if (p.Epoch == 13) cancel.Cancel(); });
        Assert.IsTrue(new Trainer(Small, Options(40, on), interrupted, EngineBackend.Instance).Run(progress: progress, cancel: cancel.Token).Interrupted);
        new Trainer(Small, Options(40, on), interrupted, EngineBackend.Instance).Run(resume: true);
        CollectionAssert.AreEqual(File.ReadAllBytes(straight.ResumeFile), File.ReadAllBytes(interrupted.ResumeFile));
        CollectionAssert.AreEqual(File.ReadAllLines(straight.MetricsFile), File.ReadAllLines(interrupted.MetricsFile));
    }

    [TestMethod]
    public void ResumeWithOtherGrokfastSettingsIsRefused()
    {
        var run = TempRun();
        new Trainer(Small, Options(5, new GrokfastSettings(0.98, 2)), run, EngineBackend.Instance).Run();
        var e = Assert.ThrowsException<ConfigException>(() => new Trainer(Small, Options(10, null), run, EngineBackend.Instance).Run(resume: true));
        StringAssert.Contains(e.Message, "--grokfast 0.98,2");
        var plain = TempRun();
        new Trainer(Small, Options(5, null), plain, EngineBackend.Instance).Run();
        e = Assert.ThrowsException<ConfigException>(() => new Trainer(Small, Options(10, new GrokfastSettings(0.9, 1)), plain, EngineBackend.Instance).Run(resume: true));
        StringAssert.Contains(e.Message, "without --grokfast");
    }

    [TestMethod]
    [DataRow("0.98", "--grokfast takes ALPHA,LAMBDA")]
    [DataRow("a,b", "--grokfast takes ALPHA,LAMBDA")]
    [DataRow("1,2", "grokfast alpha must be in [0, 1)")]
    [DataRow("-0.1,2", "grokfast alpha must be in [0, 1)")]
    [DataRow("0.9,0", "grokfast lambda must be positive")]
    [DataRow("0.9,Infinity", "grokfast lambda must be positive")]
    public void BadSettingsSayWhatIsWrong(string text, string message)
    {
        var e = Assert.ThrowsException<ConfigException>(() => (Options(1, null) with { Grokfast = GrokfastSettings.Parse(text) }).Validated());
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void BackendWithoutTheFilterIsRefused()
    {
        var run = TempRun();
        var e = Assert.ThrowsException<ConfigException>(() =>
            new Trainer(Small, Options(5, new GrokfastSettings(0.98, 2)), run, new WithoutFilter()).Run());
        StringAssert.Contains(e.Message, "does not support --grokfast");
        Assert.IsFalse(File.Exists(run.ModelFile), "nothing trained without the filter was saved");
    }

    /// <summary>A backend that trains as the engine but, like one that has not implemented Grokfast, keeps no average.</summary>
    private sealed class WithoutFilter : ITrainingBackend
    {
        public string Name => "plain";

        public ITrainingStep Create(TrainingSetup setup) => new Step(EngineBackend.Instance.Create(setup with { Options = setup.Options with { Grokfast = null } }));

        private sealed class Step(ITrainingStep inner) : ITrainingStep
        {
            public double Run() => inner.Run();
            public Evaluation Evaluate() => inner.Evaluate();
            public ParameterSet ReadParameters() => inner.ReadParameters();
            public OptimizerState ReadOptimizer() => inner.ReadOptimizer();
            public void Dispose() => inner.Dispose();
        }
    }

    private sealed class InlineProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
