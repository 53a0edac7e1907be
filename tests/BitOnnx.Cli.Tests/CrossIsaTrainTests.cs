using System.Security.Cryptography;

namespace BitOnnx.Cli.Tests;

/// <summary>
/// A card's command rebuilds its checkpoint bit for bit on AVX-512 and on AVX2: each command runs twice, natively and
/// with DOTNET_EnableAVX512=0 (in .NET 10 the switch that turns the AVX-512 paths off; the older DOTNET_EnableAVX512F
/// no longer does, so both are set), and both must give the pinned bytes, the same hashes as the engine's
/// CrossIsaCheckpointTests. On an AVX2-only machine both runs take the AVX2 path and still must match.
/// </summary>
[TestClass]
public sealed class CrossIsaTrainTests
{
    [TestMethod]
    [DataRow("li2024", "binary", "b192cb75aef2afd0c45035db6ee58c6a207a6a7fa30a52f394ef7857755c09a3")]
    [DataRow("li2024", "ternary", "edc6761f6a3d9542c39afce0b0e005bf2af5040203d96ae98a9376472767acbe")]
    [DataRow("nanda2023", "none", "8d3710e60e8e52041e8823b5f937a53c1fed20a85de0f2ce8cd14c0451822a13")]
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
}
