using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;

namespace BitOnnx.Onnx.Export.Sequence;

/// <summary>
/// The hooks of a sequence model as an exported graph declares them: [batch, row dims] with every axis that runs over
/// positions symbolic ("seq"), since one graph takes any length up to n_ctx.
/// </summary>
internal static class SequenceHookDims
{
    public const string Batch = "batch";
    public const string Sequence = "seq";

    /// <summary>Every hook in forward order (logits included) with its declared dims.</summary>
    public static IReadOnlyList<(string Name, Dim[] Dims)> For(SequenceModelConfig c)
    {
        // The axes that change with the length are the position axes, whatever sizes the other axes happen to have.
        var one = SequenceHooks.For(c, c.NCtx + 1);
        var two = SequenceHooks.For(c, c.NCtx + 2);
        return one.Zip(two, (a, b) => (a.Name, new Dim[] { Batch }.Concat(a.Shape.Dims.Select((d, i) => d == b.Shape[i] ? (Dim)d : Sequence)).ToArray()))
            .ToList();
    }

    /// <summary>The hooks a probe may expose: all but the logits, which are always an output.</summary>
    public static IReadOnlyList<string> Probes(SequenceModelConfig c) =>
        For(c).Select(h => h.Name).Where(n => n != HookNames.Logits).ToList();

    /// <summary>The hooks a run may write: all but the logits and the attention scores (masked to −∞), as modular addition's.</summary>
    public static IReadOnlyList<string> Writable(SequenceModelConfig c) =>
        For(c).Select(h => h.Name).Where(HookLayout.IsWritable).ToList();

    /// <summary>The names a selection picks, in forward order; an unknown name is an error listing the valid ones.</summary>
    public static IReadOnlyList<string> Resolve(HookSelection selection, IReadOnlyList<string> valid, string what, string option)
    {
        if (selection.All) return valid;
        var unknown = selection.Names.Where(n => n != HookNames.Logits && !valid.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ExportException($"Unknown {what} name(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} for this sequence model; " +
                $"valid for {option}: {string.Join(", ", valid)} (or 'all', or 'none').");
        return valid.Where(selection.Names.Contains).ToList();
    }
}
