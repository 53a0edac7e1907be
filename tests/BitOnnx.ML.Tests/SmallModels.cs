using System.Collections.Concurrent;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;

namespace BitOnnx.ML.Tests;

/// <summary>Small models for the tests: untrained ones (any weights will do to compare two graphs) and P = 113 shipped ones.</summary>
public static class SmallModels
{
    public static TransformerConfig Config(string preset, WeightQuantization mode, int p = 23, int layers = 1) =>
        TransformerConfig.FromPreset(preset) with { P = p, DModel = 32, NHeads = 2, DHead = 16, DMlp = 64, NLayers = layers, Quantization = mode };

    public static ModelCheckpoint.Loaded Untrained(TransformerConfig config, long seed = 3) =>
        new(config, ParameterInitializer.Initialize(config, seed), new CheckpointFacts(seed, 0, 0.3, []),
            new Dictionary<string, NamedTensor>(), new Dictionary<string, string>());

    private static readonly ConcurrentDictionary<string, Lazy<ModelCheckpoint.Loaded>> Shipped = new();

    /// <summary>A model in models/ (trained to 100% test accuracy, P = 113).</summary>
    public static ModelCheckpoint.Loaded ShippedModel(string name) =>
        Shipped.GetOrAdd(name, n => new Lazy<ModelCheckpoint.Loaded>(() => ModelCheckpoint.Load(Path.Combine(RepositoryRoot, "models", n, "model.safetensors")))).Value;

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BitOnnx.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Run the tests inside the repository: no BitOnnx.sln above " + AppContext.BaseDirectory);
        }
    }

    public static string TempFolder() => Path.Combine(Path.GetTempPath(), "bitonnx-ml-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The rows of a seeded split of P², as (A, B, Label).</summary>
    public static (List<PairRow> Train, List<PairRow> Test) Split(int p, double trainFraction, long seed)
    {
        var data = ModularAdditionData.Split(p, trainFraction, seed);
        List<PairRow> Rows(IEnumerable<int> rows) => rows.Select(r => new PairRow { A = r / p, B = r % p, Label = (r / p + r % p) % p }).ToList();
        return (Rows(data.TrainRows), Rows(data.TestRows));
    }
}

public sealed class PairRow
{
    public int A { get; set; }
    public int B { get; set; }
    public int Label { get; set; }
}
