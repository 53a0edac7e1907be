using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Hooks;

/// <summary>
/// The writes of one run, checked against the model and grouped by hook. Forward, <see cref="Apply"/> selects
/// H' = M ? V : H (as <see cref="HookWrite.ApplyTo"/>, row by row over the workers); backward, <see cref="PassThrough"/>
/// gives the gradient that reaches the value before the writes: none where an element was overwritten (the select's
/// derivative with respect to H is 1 − M), all of it elsewhere. Several writes to one hook apply in list order.
/// </summary>
internal sealed class HookWriteSet
{
    private readonly Dictionary<string, List<(HookWrite Write, int[] Selected)>> _byHook = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _overwritten = new(StringComparer.Ordinal);

    public HookWriteSet(TransformerConfig config, int rows, IReadOnlyList<HookWrite>? writes)
    {
        Writes = writes ?? [];
        foreach (var write in Writes)
        {
            var layout = HookLayout.Of(config, write.Hook);
            if (!layout.Dims.SequenceEqual(write.Layout.Dims))
                throw new InterventionException($"The write to '{write.Hook}' was made for rows of [{write.Layout.Describe()}]; this model's rows of that hook are [{layout.Describe()}]: resolve the interventions against this model.");
            if (write.Mask.Length != layout.RowSize)
                throw new InterventionException($"The write to '{write.Hook}' has a mask of {write.Mask.Length} values; the hook's rows have {layout.RowSize}: resolve the interventions against this model.");
            if (write.Values.Length != rows * layout.RowSize)
                throw new InterventionException($"The write to '{write.Hook}' has {write.Values.Length} values; it needs one row of {layout.RowSize} for each of the {rows} input rows: resolve the interventions against the rows being run.");
            var selected = Enumerable.Range(0, layout.RowSize).Where(i => write.Mask[i] != 0).ToArray();
            if (!_byHook.TryGetValue(write.Hook, out var list)) _byHook[write.Hook] = list = [];
            list.Add((write, selected));
        }
        foreach (var (hook, list) in _byHook)
            _overwritten[hook] = list.SelectMany(w => w.Selected).Distinct().Order().ToArray();
    }

    public IReadOnlyList<HookWrite> Writes { get; }

    public bool WritesTo(string hook) => _byHook.ContainsKey(hook);

    /// <summary>[row size]: true at the elements of <paramref name="hook"/>'s rows that a write overwrote.</summary>
    public bool[] OverwrittenMask(string hook, int rowSize)
    {
        var mask = new bool[rowSize];
        if (_overwritten.TryGetValue(hook, out var elements))
            foreach (var i in elements) mask[i] = true;
        return mask;
    }

    /// <summary>Applies the writes to <paramref name="hook"/> in place; <paramref name="activation"/> is [rows, row size].</summary>
    public void Apply(string hook, float[] activation, int threads)
    {
        if (!_byHook.TryGetValue(hook, out var list)) return;
        foreach (var (write, selected) in list)
        {
            var rowSize = write.Mask.Length;
            ParallelRows.For(activation.Length / rowSize, threads, (first, last) =>
            {
                for (var r = first; r < last; r++)
                    foreach (var i in selected) activation[r * rowSize + i] = write.Values[r * rowSize + i];
            });
        }
    }

    /// <summary>
    /// The gradient with respect to the hook's value before its writes, given <paramref name="gradient"/> with respect to
    /// the value after them: a copy with the overwritten elements zeroed, or, when the hook has none, the same array
    /// (at P = 113 a copy of every hook's gradient took as long as the products). <paramref name="rowSize"/> is the
    /// hook's values per input row.
    /// </summary>
    public float[] PassThrough(string hook, float[] gradient, int rowSize, int threads)
    {
        if (!_overwritten.TryGetValue(hook, out var elements) || elements.Length == 0) return gradient;
        var through = (float[])gradient.Clone();
        if (gradient.Length % rowSize != 0 || rowSize <= elements[^1])
            throw new ArgumentException($"'{hook}' has rows of more than {rowSize} values; its gradient holds {gradient.Length}.", nameof(rowSize));
        ParallelRows.For(through.Length / rowSize, threads, (first, last) =>
        {
            for (var r = first; r < last; r++)
                foreach (var i in elements) through[r * rowSize + i] = 0f;
        });
        return through;
    }
}
