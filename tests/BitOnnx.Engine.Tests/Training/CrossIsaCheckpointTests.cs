using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.Engine.Tests.Training;

/// <summary>
/// The same command gives the same checkpoint bytes on every x86-64 with FMA: the pinned hashes
/// (<see cref="PinnedModels"/>, which says how they were computed and how to pin them again) agreed on an AVX-512
/// machine natively and with DOTNET_EnableAVX512=0 (the AVX2 paths). This test runs on whatever ISA its process has
/// (CI on AVX2-only machines checks that path); the CLI's CrossIsaTrainTests runs both paths of this machine in child
/// processes.
/// </summary>
[TestClass]
public sealed class CrossIsaCheckpointTests
{
    [TestMethod]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, PinnedModels.Li2024BinaryP31)]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, PinnedModels.Li2024TernaryP31)]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, PinnedModels.Nanda2023NoneP31)]
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
        var run = new RunFolder(TempDir.NewPath());
        new Trainer(config, options, run, EngineBackend.Instance).Run();
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(run.ModelFile)));
        Console.WriteLine($"{preset} {mode} avx512={Vector512.IsHardwareAccelerated}: {hash}");
        Assert.AreEqual(pinned, hash, $"{preset} {mode} on {(Vector512.IsHardwareAccelerated ? "AVX-512" : "AVX2")}");
    }
}
