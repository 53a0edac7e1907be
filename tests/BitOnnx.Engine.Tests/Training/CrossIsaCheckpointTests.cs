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
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Binary, "b192cb75aef2afd0c45035db6ee58c6a207a6a7fa30a52f394ef7857755c09a3")]
    [DataRow(TransformerConfig.Li2024Name, WeightQuantization.Ternary, "edc6761f6a3d9542c39afce0b0e005bf2af5040203d96ae98a9376472767acbe")]
    [DataRow(TransformerConfig.Nanda2023Name, WeightQuantization.None, "8d3710e60e8e52041e8823b5f937a53c1fed20a85de0f2ce8cd14c0451822a13")]
    public void ShortRunGivesThePinnedCheckpoint(string preset, WeightQuantization mode, string pinned)
    {
        var config = TransformerConfig.FromPreset(preset) with { P = 31, Quantization = mode };
        var options = new TrainingOptions
        {
            Epochs = 50,
            Seed = 0,
            LogEvery = 10,
            Threads = 2,
            Optimizer = new AdamWSettings { WarmupSteps = preset == TransformerConfig.Nanda2023Name ? 10 : 0 },
        };
        var run = new RunFolder(Path.Combine(Path.GetTempPath(), "bitonnx-tests", Guid.NewGuid().ToString("N")));
        new Trainer(config, options, run, EngineBackend.Instance).Run();
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(run.ModelFile)));
        Console.WriteLine($"{preset} {mode} avx512={Vector512.IsHardwareAccelerated}: {hash}");
        Assert.AreEqual(pinned, hash, $"{preset} {mode} on {(Vector512.IsHardwareAccelerated ? "AVX-512" : "AVX2")}");
    }
}
