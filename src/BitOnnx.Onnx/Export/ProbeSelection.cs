using BitOnnx.Core.Model;

namespace BitOnnx.Onnx.Export;

/// <summary>Which activations an exported graph exposes as extra outputs, by TransformerLens hook name.</summary>
public sealed class ProbeSelection
{
    private ProbeSelection(IReadOnlyList<string>? names, bool all)
    {
        Names = names ?? [];
        All = all;
    }

    public static ProbeSelection None { get; } = new(null, false);
    public static ProbeSelection Every { get; } = new(null, true);

    public bool All { get; }
    public IReadOnlyList<string> Names { get; }

    public static ProbeSelection Of(params string[] names) => new(names, false);

    /// <summary>Parses none, all, or a comma-separated list of hook names.</summary>
    public static ProbeSelection Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "" or "none" => None,
        "all" => Every,
        _ => Of(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
    };

    /// <summary>The hooks to expose for a config, in forward order; unknown names are an error listing the valid ones.</summary>
    public IReadOnlyList<string> Resolve(TransformerConfig config)
    {
        var valid = HookNames.For(config, 1).Select(h => h.Name).Where(n => n != HookNames.Logits).ToList();
        if (All) return valid;
        var unknown = Names.Where(n => n != HookNames.Logits && !valid.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ExportException($"Unknown probe name(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} for this {config.Preset} model. " +
                $"Valid probes: {string.Join(", ", valid)} (or 'all', or 'none').");
        return valid.Where(Names.Contains).ToList();
    }
}
