using BitOnnx.Core.Model;

namespace BitOnnx.Onnx.Export;

/// <summary>
/// A choice of hooks by TransformerLens name (none, all, or a list): which an exported graph exposes as extra outputs
/// (probes), and which a Run may write (writable hooks).
/// </summary>
public sealed class HookSelection
{
    private HookSelection(IReadOnlyList<string>? names, bool all)
    {
        Names = names ?? [];
        All = all;
    }

    public static HookSelection None { get; } = new(null, false);
    public static HookSelection Every { get; } = new(null, true);

    public bool All { get; }
    public IReadOnlyList<string> Names { get; }

    public static HookSelection Of(params string[] names) => new(names, false);

    /// <summary>Parses none, all, or a comma-separated list of hook names.</summary>
    public static HookSelection Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "" or "none" => None,
        "all" => Every,
        _ => Of(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
    };

    /// <summary>The hooks to expose for a config, in forward order; unknown names are an error listing the valid ones.</summary>
    public IReadOnlyList<string> Resolve(TransformerConfig config) =>
        Resolve(config, HookNames.For(config, 1).Select(h => h.Name).Where(n => n != HookNames.Logits).ToList(), "probe", "--probes");

    /// <summary>The hooks to make writable, in forward order (every hook but the logits and the attention scores).</summary>
    public IReadOnlyList<string> ResolveWritable(TransformerConfig config) =>
        Resolve(config, HookNames.For(config, 1).Select(h => h.Name).Where(Core.Interventions.HookLayout.IsWritable).ToList(), "writable hook", "--writable");

    private IReadOnlyList<string> Resolve(TransformerConfig config, List<string> valid, string what, string option)
    {
        if (All) return valid;
        var unknown = Names.Where(n => n != HookNames.Logits && !valid.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ExportException($"Unknown {what} name(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} for this {config.Preset} model. " +
                $"Valid for {option}: {string.Join(", ", valid)} (or 'all', or 'none').");
        return valid.Where(Names.Contains).ToList();
    }
}
