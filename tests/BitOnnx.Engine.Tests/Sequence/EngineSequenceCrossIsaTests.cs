using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks.Arithmetic;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Sequence;

namespace BitOnnx.Engine.Tests.Sequence;

/// <summary>
/// Twenty steps of a 3-digit addition model on the engine give the same parameter bytes on every x86-64 with FMA, as
/// the modular model's CrossIsaCheckpointTests: the pinned sha256 of the float32 parameters agreed on an AVX-512 machine
/// natively and with DOTNET_EnableAVX512=0 (the AVX2 paths), two threads each. A change meant to move the bits (a
/// different summation order, say) pins them again: print them with this test on both paths and check that they agree.
/// </summary>
[TestClass]
public sealed class EngineSequenceCrossIsaTests
{
    [TestMethod]
    [DataRow(WeightQuantization.None, "dfcded9e37f543ae7cdc825dedeae02b3bdb6518fb88bb4dc7eac0e41c44914b")]
    [DataRow(WeightQuantization.Binary, "76bf493816cf6705875674a7a0922cc4db79f64e1953aafe825728067c64b7bd")]
    [DataRow(WeightQuantization.Ternary, "d15833bc5c21a23ec50e072697662fc0e8e2e374d4fcebcc48ba1132d0505547")]
    public void ShortRunGivesThePinnedParameters(WeightQuantization mode, string pinned)
    {
        var task = new ArithmeticTask(3, ArithmeticMix.Addition);
        var config = SequenceModelConfig.ForTask(task) with { DModel = 64, NHeads = 4, DHead = 16, DMlp = 256, NLayers = 2, Quantization = mode };
        var options = new SequenceTrainingOptions { Steps = 20, LearningRate = 3e-3, Seed = 1, BatchSize = 160 };
        var model = EngineSequenceTrainer.Train(config, task, options, threads: 2);
        var hash = Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(model.Parameters.Data.AsSpan())));
        Console.WriteLine($"{mode} avx512={Vector512.IsHardwareAccelerated}: {hash}");
        Assert.AreEqual(pinned, hash, $"{mode} on {(Vector512.IsHardwareAccelerated ? "AVX-512" : "AVX2")}");
    }
}
