using System.Security.Cryptography;
using BitOnnx.TestSupport;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// A card's command rebuilds its checkpoint bit for bit on AVX-512 and on AVX2: each command runs twice, natively and
/// with DOTNET_EnableAVX512=0 (in .NET 10 the switch that turns the AVX-512 paths off; the older DOTNET_EnableAVX512F
/// no longer does, so both are set), and both must give the pinned bytes, the same hashes (<see cref="PinnedModels"/>)
/// as the engine's CrossIsaCheckpointTests. On an AVX2-only machine both runs take the AVX2 path and still must match.
/// </summary>
[TestClass]
public sealed class CrossIsaTrainTests
{
    [TestMethod]
    [DataRow("li2024", "binary", PinnedModels.Li2024BinaryP31)]
    [DataRow("li2024", "ternary", PinnedModels.Li2024TernaryP31)]
    [DataRow("nanda2023", "none", PinnedModels.Nanda2023NoneP31)]
    public void SameBytesWithAndWithoutAvx512(string preset, string quant, string pinned)
    {
        foreach (var avx512 in new[] { true, false })
        {
            var run = CliProcess.TempFolder();
            var r = CliProcess.Run(avx512 ? null : new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0", ["DOTNET_EnableAVX512F"] = "0" },
                ["train", "--preset", preset, "--quant", quant, "--p", "31", "--epochs", "50", "--log-every", "10", "--threads", "2", "--out", run]);
            Assert.AreEqual(0, r.ExitCode, r.Error);
            var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(run, "model.safetensors"))));
            Assert.AreEqual(pinned, hash, $"{preset} {quant} with AVX-512 {(avx512 ? "on" : "off")}");
        }
    }

    /// <summary>BIMT's gradient and swaps (a 256-bit loop beside double arithmetic) give the same bytes on both paths too.</summary>
    [TestMethod]
    public void BimtGivesTheSameBytesWithAndWithoutAvx512()
    {
        var files = new List<(byte[] Model, string Swaps)>();
        foreach (var avx512 in new[] { true, false })
        {
            var run = CliProcess.TempFolder();
            var r = CliProcess.Run(avx512 ? null : new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0", ["DOTNET_EnableAVX512F"] = "0" },
                ["train", "--quant", "ternary", "--p", "23", "--d-model", "16", "--n-heads", "4", "--d-mlp", "48", "--epochs", "400",
                    "--bimt", "0.05", "--threads", "2", "--out", run]);
            Assert.AreEqual(0, r.ExitCode, r.Error);
            files.Add((File.ReadAllBytes(Path.Combine(run, "model.safetensors")), File.ReadAllText(Path.Combine(run, "bimt-swaps.csv"))));
        }
        CollectionAssert.AreEqual(files[0].Model, files[1].Model);
        Assert.AreEqual(files[0].Swaps, files[1].Swaps);
        Assert.IsTrue(files[0].Swaps.Split('\n').Length > 3, "swaps were made");
    }
}
