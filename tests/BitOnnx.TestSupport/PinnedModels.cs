namespace BitOnnx.TestSupport;

/// <summary>
/// The sha256 of model.safetensors after a short run at P = 31 (50 epochs, seed 0, log every 10, 2 threads, the
/// preset's recipe: <c>bitonnx train --preset PRESET --quant QUANT --p 31 --epochs 50 --log-every 10 --threads 2</c>).
/// They pin training as bit-identical across machines: computed on an AVX-512 machine natively and with
/// DOTNET_EnableAVX512=0 (the AVX2 paths), which agreed, and checked in-process by the engine's
/// CrossIsaCheckpointTests and through the CLI, both paths, by its CrossIsaTrainTests. Constants, so that both tests'
/// DataRows name the one copy; docs/speed-and-grokfast.md lists the same hashes.
/// </summary>
/// <remarks>
/// A hash that moves is a change of the arithmetic: a deliberate one needs new hashes, an accidental one is a bug. To
/// pin again, run <c>dotnet test tests/BitOnnx.Engine.Tests -c Release --filter FullyQualifiedName~CrossIsa
/// --logger "console;verbosity=detailed"</c>, which prints each run's hash, once as it is and once with
/// DOTNET_EnableAVX512=0 set, on an AVX-512 machine; pin the hashes here and in the doc only if the two agree, then
/// run the CLI's CrossIsaTrainTests.
/// </remarks>
public static class PinnedModels
{
    /// <summary>li2024, binary weights.</summary>
    public const string Li2024BinaryP31 = "d6bb843ffd8a6e9e7a044e2b581b3d0036e54582ccc3eea5057df40ed6ef6ab4";

    /// <summary>li2024, ternary weights.</summary>
    public const string Li2024TernaryP31 = "5f02bb5d3a459972cd6e51082a26e7f5c06cc022f7054dfcf8ec953bb58b2ae5";

    /// <summary>nanda2023, full precision (its recipe warms up for 10 steps).</summary>
    public const string Nanda2023NoneP31 = "63c32c492b2b967ce9df575fe822cfc945ede6cf379bbead1eceb5070de08c7f";
}
