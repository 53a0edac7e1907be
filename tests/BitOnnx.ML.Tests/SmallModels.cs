using System.Collections.Concurrent;
using BitOnnx.Core.Checkpoints;
using BitOnnx.Core.Data;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.TestSupport;

namespace BitOnnx.ML.Tests;

/// <summary>The shipped P = 113 models, each read once per test run, and a split's rows as ML.NET reads them.</summary>
public static class SmallModels
{
    private static readonly ConcurrentDictionary<string, Lazy<ModelCheckpoint.Loaded>> Shipped = new();

    /// <summary>A model in models/ (trained to 100% test accuracy, P = 113).</summary>
    public static ModelCheckpoint.Loaded ShippedModel(string name) =>
        Shipped.GetOrAdd(name, n => new Lazy<ModelCheckpoint.Loaded>(() => ModelCheckpoint.Load(Path.Combine(RepositoryRoot.Path, "models", n, "model.safetensors")))).Value;

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
