using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Torch.Model;
using TorchSharp;

namespace BitOnnx.Torch.Interventions;

/// <summary>
/// HookWrites checked against a model and a batch, as the tensors its hook points apply. Every problem is one
/// <see cref="InterventionException"/> naming the hook and what the model has. A write whose mask is all zero writes
/// nothing and is left out, so it leaves the pass exactly the clean one (block 0 keeps its table, too).
/// </summary>
internal static class WriteTensors
{
    /// <summary>Per hook, its writes in the order given; the tensors belong to the caller's dispose scope.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<TensorWrite>> For(TransformerConfig config, IEnumerable<HookWrite> writes, int rows)
    {
        var byHook = new Dictionary<string, IReadOnlyList<TensorWrite>>(StringComparer.Ordinal);
        foreach (var write in writes)
        {
            var layout = Checked(config, write, rows);
            if (Array.TrueForAll(write.Mask, m => m == 0)) continue;
            long[] dims = [.. layout.Dims.Select(d => (long)d)];
            // HookWrite.ApplyTo writes where the mask is not 0; the same test makes the boolean mask.
            var mask = torch.tensor(Array.ConvertAll(write.Mask, m => m != 0), [1, .. dims]);
            var values = torch.tensor(write.Values, [rows, .. dims]);
            var list = byHook.TryGetValue(layout.Hook, out var existing) ? [.. existing] : new List<TensorWrite>();
            list.Add(new TensorWrite(mask, values));
            byHook[layout.Hook] = list;
        }
        return byHook;
    }

    private static HookLayout Checked(TransformerConfig config, HookWrite write, int rows)
    {
        // Of throws for a hook the model lacks or cannot write (the logits, the attention scores).
        var layout = HookLayout.Of(config, write.Hook);
        if (!layout.Dims.SequenceEqual(write.Layout.Dims))
            throw new InterventionException($"The write into '{write.Hook}' has rows of [{write.Layout.Describe()}], but this model's rows of that hook are [{layout.Describe()}]; resolve the interventions with this model's config.");
        if (write.Mask.Length != layout.RowSize)
            throw new InterventionException($"The write into '{write.Hook}' has a mask of {write.Mask.Length} values, but a row of that hook has {layout.RowSize} ([{layout.Describe()}]).");
        if (write.Values.Length != (long)rows * layout.RowSize)
            throw new InterventionException($"The write into '{write.Hook}' has {write.Values.Length} values, but {rows} rows of that hook have {(long)rows * layout.RowSize} ({rows} × [{layout.Describe()}]); resolve it for the same rows as the run.");
        return layout;
    }
}
