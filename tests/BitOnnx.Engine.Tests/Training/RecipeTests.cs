using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

namespace BitOnnx.Engine.Tests.Training;

[TestClass]
public sealed class RecipeTests
{
    [TestMethod]
    public void PresetsMatchMissionTable()
    {
        var nanda = TransformerConfig.Nanda2023;
        Assert.IsTrue(nanda.PositionalEmbedding && nanda.CausalMask && !nanda.FinalNorm);
        Assert.AreEqual(1f / MathF.Sqrt(32), nanda.ScoreScale);
        var li = TransformerConfig.Li2024;
        Assert.IsTrue(!li.PositionalEmbedding && !li.CausalMask && li.FinalNorm);
        Assert.AreEqual(1f / MathF.Sqrt(128), li.ScoreScale);
        foreach (var c in new[] { nanda, li })
        {
            Assert.AreEqual((113, 128, 4, 32, 512, 1, 114, 113), (c.P, c.DModel, c.NHeads, c.DHead, c.DMlp, c.NLayers, c.DVocab, c.DVocabOut));
        }
    }

    [TestMethod]
    public void AdamWMatchesTheClosedFormOfItsFirstTwoSteps()
    {
        var c = TransformerConfig.Li2024 with { P = 2, DModel = 2, NHeads = 1, DHead = 2, DMlp = 2 };
        var parameters = ParameterSet.Zeros(c);
        parameters.Data[0] = 0.5f;
        var gradient = parameters.ZerosLike();
        gradient.Data[0] = 0.2f;
        var settings = new AdamWSettings();
        var adam = new AdamW(settings, parameters);
        adam.Update(parameters, gradient);
        // Step 1: p = 0.5(1 − lr·λ); m̂ = g, v̂ = g², so the update is lr·g/(|g| + ε) ≈ lr.
        var expected = 0.5 * (1 - 1e-3) - 1e-3 * 0.2 / (0.2 + 1e-8);
        Assert.AreEqual(expected, parameters.Data[0], 1e-7);
        adam.Update(parameters, gradient);
        var m = 0.9 * 0.1 * 0.2 + 0.1 * 0.2;
        var v = 0.98 * 0.02 * 0.04 + 0.02 * 0.04;
        expected = expected * (1 - 1e-3) - 1e-3 * (m / (1 - 0.81)) / (Math.Sqrt(v / (1 - 0.98 * 0.98)) + 1e-8);
        Assert.AreEqual(expected, parameters.Data[0], 1e-7);
    }

    [TestMethod]
    public void WarmupRampsLinearlyFromZero()
    {
        var s = new AdamWSettings { WarmupSteps = 10 };
        Assert.AreEqual(0, s.LearningRateAt(0));
        Assert.AreEqual(5e-4, s.LearningRateAt(5), 1e-15);
        Assert.AreEqual(1e-3, s.LearningRateAt(10));
        Assert.AreEqual(1e-3, s.LearningRateAt(10_000));
    }

    [TestMethod]
    public void SplitIsASeededPartition()
    {
        var a = BitOnnx.Core.Data.ModularAdditionData.Split(23, 0.3, seed: 4);
        var b = BitOnnx.Core.Data.ModularAdditionData.Split(23, 0.3, seed: 4);
        var c = BitOnnx.Core.Data.ModularAdditionData.Split(23, 0.3, seed: 5);
        CollectionAssert.AreEqual(a.TrainRows.ToArray(), b.TrainRows.ToArray());
        CollectionAssert.AreNotEqual(a.TrainRows.ToArray(), c.TrainRows.ToArray());
        Assert.AreEqual((int)(0.3 * 23 * 23), a.TrainRows.Count);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 23 * 23).ToArray(), a.TrainRows.Concat(a.TestRows).ToArray());
    }

    [TestMethod]
    [DataRow(1, "p must be at least 2")]
    [DataRow(2, "n_heads (3) must divide d_model")]
    [DataRow(3, "n_layers must be at least 1")]
    public void InvalidConfigsAreRejectedWithTheReason(int which, string fragment)
    {
        var c = which switch
        {
            1 => TransformerConfig.Li2024 with { P = 1 },
            2 => TransformerConfig.Li2024 with { NHeads = 3 },
            _ => TransformerConfig.Li2024 with { NLayers = 0 },
        };
        var e = Assert.ThrowsException<ConfigException>(() => c.Validated());
        StringAssert.Contains(e.Message, fragment);
    }

    [TestMethod]
    public void UnknownPresetListsTheValidOnes()
    {
        var e = Assert.ThrowsException<ConfigException>(() => TransformerConfig.FromPreset("gpt2"));
        StringAssert.Contains(e.Message, "nanda2023, li2024");
    }
}

[TestClass]
public sealed class AdamWVectorPathTests
{
    [TestMethod]
    public void EveryElementFollowsTheScalarFormulaBitForBit()
    {
        var c = TransformerConfig.Li2024 with { P = 5, DModel = 8, NHeads = 2, DHead = 4, DMlp = 8 };
        var parameters = ParameterInitializer.Initialize(c, seed: 1);
        var gradient = ParameterInitializer.Initialize(c, seed: 2);
        var expected = (float[])parameters.Data.Clone();
        var m = new float[expected.Length];
        var v = new float[expected.Length];
        var adam = new AdamW(new AdamWSettings(), parameters);
        for (var step = 1; step <= 3; step++)
        {
            adam.Update(parameters, gradient);
            float decay = (float)(1 - 1e-3), stepSize = (float)(1e-3 / (1 - Math.Pow(0.9, step))), root = (float)Math.Sqrt(1 - Math.Pow(0.98, step));
            for (var i = 0; i < expected.Length; i++)
            {
                var g = gradient.Data[i];
                expected[i] *= decay;
                m[i] = 0.9f * m[i] + (1 - 0.9f) * g;
                v[i] = 0.98f * v[i] + (1 - 0.98f) * g * g;
                expected[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / root + 1e-8f);
            }
        }
        CollectionAssert.AreEqual(expected, parameters.Data);
    }
}
