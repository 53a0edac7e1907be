using System.Text.Json;

namespace BitOnnx.Core.Training;

/// <summary>The facts of a run that readers need from RUN/config.json, which <see cref="RunFolder.WriteSettings"/> writes.</summary>
/// <param name="P">Modulus.</param>
/// <param name="Preset">Model preset (nanda2023, li2024).</param>
/// <param name="Quant">Weight quantization (binary, ternary, none...).</param>
/// <param name="Seed">Training seed.</param>
/// <param name="TrainFraction">Fraction of the P² pairs used for training.</param>
/// <param name="DModel">Residual width.</param>
/// <param name="NHeads">Attention heads.</param>
/// <param name="DMlp">MLP width.</param>
/// <param name="Json">The whole file, for the report.</param>
public sealed record RunSettings(int P, string Preset, string Quant, long Seed, double TrainFraction, int DModel, int NHeads, int DMlp, string Json)
{
    /// <summary>Parses config.json text; <paramref name="path"/> only names the file in errors.</summary>
    public static RunSettings Parse(string json, string path)
    {
        using var doc = ParseDocument(json, path);
        var root = doc.RootElement;
        return new RunSettings(
            RequireInt(root, "p", path), RequireString(root, "preset", path), RequireString(root, "quant", path),
            RequireLong(root, "seed", path), RequireDouble(root, "train_fraction", path),
            RequireInt(root, "d_model", path), RequireInt(root, "n_heads", path), RequireInt(root, "d_mlp", path), json);
    }

    internal static JsonDocument ParseDocument(string json, string path)
    {
        try
        {
            var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new RunFolderException(path, $"{path}: expected a JSON object at the top level.");
            return doc;
        }
        catch (JsonException e)
        {
            throw new RunFolderException(path, $"{path} is not valid JSON: {e.Message}", e);
        }
    }

    private static JsonElement Require(JsonElement root, string key, string path) =>
        root.TryGetProperty(key, out var v) ? v : throw new RunFolderException(path, $"{path} lacks \"{key}\".");

    internal static int RequireInt(JsonElement root, string key, string path)
    {
        var v = Require(root, key, path);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw new RunFolderException(path, $"{path}: \"{key}\" must be an integer.");
    }

    internal static long RequireLong(JsonElement root, string key, string path)
    {
        var v = Require(root, key, path);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long i) ? i : throw new RunFolderException(path, $"{path}: \"{key}\" must be an integer.");
    }

    internal static double RequireDouble(JsonElement root, string key, string path)
    {
        var v = Require(root, key, path);
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new RunFolderException(path, $"{path}: \"{key}\" must be a number.");
    }

    private static string RequireString(JsonElement root, string key, string path)
    {
        var v = Require(root, key, path);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new RunFolderException(path, $"{path}: \"{key}\" must be a string.");
    }
}
