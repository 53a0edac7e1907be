using BitOnnx.Core.Model;
using BitOnnx.Core.Randomness;

namespace BitOnnx.Core.Interventions;

/// <summary>
/// What a forward pass writes into one hook: <c>H' = M ? V : H</c> elementwise, with <see cref="Mask"/> one row
/// (broadcast over the batch, 1 = write) and <see cref="Values"/> a row per batch row. Selecting rather than computing
/// H + M ⊙ (V − H) makes a write exact: the written elements are V to the bit, the others H to the bit.
/// </summary>
public sealed record HookWrite(HookLayout Layout, float[] Mask, float[] Values)
{
    public string Hook => Layout.Hook;

    /// <summary>Applies the write to <paramref name="activation"/> [rows, row size] in place (the reference every backend is held to).</summary>
    public void ApplyTo(Span<float> activation)
    {
        var rowSize = Mask.Length;
        for (var i = 0; i < activation.Length; i++)
            if (Mask[i % rowSize] != 0) activation[i] = Values[i];
    }
}

/// <summary>
/// Turns interventions into <see cref="HookWrite"/>s for a batch of rows: zero, the clean mean over the rows at each
/// element, the clean value of another row (a seeded choice, one per row, never the row itself), or given values. Several
/// interventions on one hook combine; where they overlap the later one wins. Every problem names the hook, the index or
/// the values and what the model has, in one <see cref="InterventionException"/>.
/// </summary>
public static class HookWrites
{
    /// <param name="clean">The clean activation of a hook over the same rows [rows, row size]; asked for only when a
    /// mean or a resample needs it.</param>
    /// <param name="seed">Seed of the resample draw.</param>
    public static IReadOnlyList<HookWrite> Resolve(TransformerConfig config, IEnumerable<Intervention> interventions, int rows,
        Func<string, float[]> clean, long seed = 0)
    {
        var writes = new Dictionary<string, HookWrite>(StringComparer.Ordinal);
        int[]? sources = null;
        var means = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var list = interventions.ToList();
        foreach (var intervention in list)
        {
            var layout = HookLayout.Of(config, intervention.Hook);
            var mask = layout.Mask(intervention.Index);
            var rowSize = layout.RowSize;
            // A hook's only write of a whole batch of given values keeps them without a copy: a patching table's
            // variants then share one clean cache instead of holding a copy each.
            if (intervention is { Kind: InterventionKind.Values, Values: { } all } && all.Length == rows * rowSize
                && list.Count(i => HookLayout.Of(config, i.Hook).Hook == layout.Hook) == 1)
            {
                writes[layout.Hook] = new HookWrite(layout, mask, all);
                continue;
            }
            if (!writes.TryGetValue(layout.Hook, out var write))
                writes[layout.Hook] = write = new HookWrite(layout, new float[rowSize], new float[rows * rowSize]);
            var values = intervention.Kind switch
            {
                InterventionKind.Zero => new float[rows * rowSize],
                InterventionKind.Mean => means.TryGetValue(layout.Hook, out var m) ? m : means[layout.Hook] = Means(Clean(clean, layout, rows), rows, rowSize),
                InterventionKind.Resample => Gather(Clean(clean, layout, rows), sources ??= OtherRows(rows, seed), rowSize),
                _ => Given(intervention, layout, rows),
            };
            for (var i = 0; i < rowSize; i++)
            {
                if (mask[i] == 0) continue;
                write.Mask[i] = 1;
                for (var r = 0; r < rows; r++) write.Values[r * rowSize + i] = values[r * rowSize + i];
            }
        }
        return writes.Values.ToList();
    }

    /// <summary>For each row, another row to take values from: row r + 1 + (a seeded draw below rows − 1), modulo rows.</summary>
    public static int[] OtherRows(int rows, long seed)
    {
        if (rows < 2) throw new InterventionException("A resample needs at least two rows to draw another row from.");
        var random = SeededRandom.ForPurpose(seed, "resample");
        var sources = new int[rows];
        for (var r = 0; r < rows; r++) sources[r] = (r + 1 + random.NextInt(rows - 1)) % rows;
        return sources;
    }

    private static float[] Clean(Func<string, float[]> clean, HookLayout layout, int rows)
    {
        var values = clean(layout.Hook);
        return values.Length == rows * layout.RowSize
            ? values
            : throw new InvalidOperationException($"The clean activation of '{layout.Hook}' has {values.Length} values, not {rows} rows of {layout.RowSize}.");
    }

    private static float[] Means(float[] clean, int rows, int rowSize)
    {
        var sums = new double[rowSize];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < rowSize; i++) sums[i] += clean[r * rowSize + i];
        var values = new float[rows * rowSize];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < rowSize; i++) values[r * rowSize + i] = (float)(sums[i] / rows);
        return values;
    }

    private static float[] Gather(float[] clean, int[] sources, int rowSize)
    {
        var values = new float[clean.Length];
        for (var r = 0; r < sources.Length; r++) clean.AsSpan(sources[r] * rowSize, rowSize).CopyTo(values.AsSpan(r * rowSize, rowSize));
        return values;
    }

    private static float[] Given(Intervention intervention, HookLayout layout, int rows)
    {
        var given = intervention.Values ?? throw new InterventionException($"{intervention.Component}: a values intervention needs its values.");
        var rowSize = layout.RowSize;
        if (given.Length == rows * rowSize) return given;
        if (given.Length != rowSize)
            throw new InterventionException($"{intervention.Component}: {given.Length} values do not fit the hook, whose rows are [{layout.Describe()}] = {rowSize} values; give one row or one per input row ({rows} × {rowSize}).");
        var values = new float[rows * rowSize];
        for (var r = 0; r < rows; r++) given.CopyTo(values, r * rowSize);
        return values;
    }
}
