using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

namespace BitOnnx.Engine.Tests.Training;

/// <summary>
/// The same command gives the same checkpoint bytes on every x86-64 with FMA: the pinned hashes were computed on an
/// AVX-512 machine twice, natively and with DOTNET_EnableAVX512=0 (the AVX2 paths), and agreed. This test runs on
/// whatever ISA its process has (CI on AVX2-only machines checks that path); the CLI's CrossIsaTrainTests runs both
/// paths of this machine in child processes. If a deliberate change of the arithmetic moves these hashes, recompute
/// them on both paths and pin them again only if they agree.
/// </summary>
[TestClass]
public sealed class CrossIsaCheckpointTests
{
    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, "d6bb843ffd8a6e9e7a044e2b581b3d0036e54582ccc3eea5057df40ed6ef6ab4")]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, "5f02bb5d3a459972cd6e51082a26e7f5c06cc022f7054dfcf8ec953bb58b2ae5")]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, "63c32c492b2b967ce9df575fe822cfc945ede6cf379bbead1eceb5070de08c7f")]
    public void ShortRunGivesThePinnedCheckpoint(string preset, WeightQuantization mode, string pinned)
    {
        var config = TransformerConfig.FromPreset(preset) with { P = 31, Quantization = mode };
        var options = new TrainingOptions
        {
            Epochs = 50,
            Seed = 0,
            LogEvery = 10,
            Threads = 2,
            Optimizer = AdamWSettings.Recipe(preset),
        };
        var run = new RunFolder(Path.Combine(Path.GetTempPath(), "bitonnx-tests", Guid.NewGuid().ToString("N")));
        new Trainer(config, options, run, EngineBackend.Instance).Run();
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(run.ModelFile)));
        Console.WriteLine($"{preset} {mode} avx512={Vector512.IsHardwareAccelerated}: {hash}");
        Assert.AreEqual(pinned, hash, $"{preset} {mode} on {(Vector512.IsHardwareAccelerated ? "AVX-512" : "AVX2")}");
    }
}
