using System.Text.Json;

namespace BitOnnx.Core.Training;

/// <summary>RUN/split.json: the seeded train split as row indices a·P + b.</summary>
public sealed record RunSplit(long Seed, double TrainFraction, int[] Train)
{
    /// <summary>Parses split.json text and checks every index is a valid row for <paramref name="p"/>.</summary>
    public static RunSplit Parse(string json, string path, int p)
    {
        using var doc = RunSettings.ParseDocument(json, path);
        var root = doc.RootElement;
        if (!root.TryGetProperty("train", out var train) || train.ValueKind != JsonValueKind.Array)
            throw new RunFolderException(path, $"{path} lacks the array \"train\" of row indices a*P+b.");
        var rows = new int[train.GetArrayLength()];
        int i = 0;
        foreach (var e in train.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int row) || row < 0 || row >= p * p)
                throw new RunFolderException(path, $"{path}: train[{i}] = {e} is not a row index in 0..{p * p - 1} (P = {p}).");
            rows[i++] = row;
        }
        if (rows.Distinct().Count() != rows.Length) throw new RunFolderException(path, $"{path}: \"train\" repeats row indices.");
        return new RunSplit(RunSettings.RequireLong(root, "seed", path), RunSettings.RequireDouble(root, "train_fraction", path), rows);
    }
}
