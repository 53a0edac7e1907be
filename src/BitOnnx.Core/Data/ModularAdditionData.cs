using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;

namespace BitOnnx.Core.Data;

/// <summary>
/// All P*P sequences [a, b, =] with target (a + b) mod P. Pair (a, b) is row a*P + b; the train/test split is a seeded
/// shuffle of those rows, and both halves are kept sorted so that batches read memory in order.
/// </summary>
public sealed class ModularAdditionData
{
    public const int SequenceLength = 3;

    private ModularAdditionData(int p, int[] trainRows, int[] testRows, long seed, double trainFraction)
    {
        P = p;
        TrainRows = trainRows;
        TestRows = testRows;
        Seed = seed;
        TrainFraction = trainFraction;
    }

    public int P { get; }
    public long Seed { get; }
    public double TrainFraction { get; }
    public IReadOnlyList<int> TrainRows { get; }
    public IReadOnlyList<int> TestRows { get; }

    public static ModularAdditionData Split(int p, double trainFraction, long seed)
    {
        if (p < 2) throw new ConfigException($"p must be at least 2 (got {p}).");
        if (!(trainFraction > 0 && trainFraction < 1))
            throw new ConfigException($"train fraction must be strictly between 0 and 1 (got {trainFraction}).");
        var rows = Enumerable.Range(0, p * p).ToArray();
        SeededRandom.ForPurpose(seed, "split").Shuffle(rows.AsSpan());
        var trainCount = (int)(trainFraction * rows.Length);
        if (trainCount == 0 || trainCount == rows.Length)
            throw new ConfigException($"train fraction {trainFraction} leaves an empty train or test set for p = {p}.");
        var train = rows[..trainCount];
        var test = rows[trainCount..];
        Array.Sort(train);
        Array.Sort(test);
        return new ModularAdditionData(p, train, test, seed, trainFraction);
    }

    /// <summary>Rebuilds a split saved with a run, checking that it is a partition of the P*P rows.</summary>
    public static ModularAdditionData FromTrainRows(int p, IReadOnlyList<int> trainRows, long seed, double trainFraction)
    {
        var isTrain = new bool[p * p];
        foreach (var r in trainRows)
        {
            if (r < 0 || r >= p * p) throw new ConfigException($"Saved split has row {r}, outside 0..{p * p - 1} for p = {p}.");
            if (isTrain[r]) throw new ConfigException($"Saved split lists row {r} twice.");
            isTrain[r] = true;
        }
        var train = trainRows.ToArray();
        Array.Sort(train);
        var test = Enumerable.Range(0, p * p).Where(r => !isTrain[r]).ToArray();
        return new ModularAdditionData(p, train, test, seed, trainFraction);
    }

    /// <summary>Tokens [rows, 3] for the given pair rows.</summary>
    public static int[] Tokens(int p, IReadOnlyList<int> rows)
    {
        var tokens = new int[rows.Count * SequenceLength];
        for (var i = 0; i < rows.Count; i++)
        {
            tokens[i * 3] = rows[i] / p;
            tokens[i * 3 + 1] = rows[i] % p;
            tokens[i * 3 + 2] = p;
        }
        return tokens;
    }

    public static int[] Targets(int p, IReadOnlyList<int> rows)
    {
        var targets = new int[rows.Count];
        for (var i = 0; i < rows.Count; i++) targets[i] = (rows[i] / p + rows[i] % p) % p;
        return targets;
    }

    public static int[] AllRows(int p) => Enumerable.Range(0, p * p).ToArray();
}
