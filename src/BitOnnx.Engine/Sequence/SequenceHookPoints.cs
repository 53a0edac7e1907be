using BitOnnx.Core;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// The hooks of one hooked pass: each write applied where its hook is computed (H' = mask ? values : H), and each
/// captured hook copied after its write. The pass calls <see cref="At"/> with the hook's values [rows, row size].
/// </summary>
internal sealed class SequenceHookPoints
{
    private readonly Dictionary<string, SequenceHookWrite> _writes = [];
    private readonly HashSet<string> _capture;
    private readonly Dictionary<string, float[]> _captured = [];
    private readonly int _rows;

    public SequenceHookPoints(SequenceModelConfig config, int rows, int length, IReadOnlyList<SequenceHookWrite> writes, IReadOnlyCollection<string> capture)
    {
        _rows = rows;
        foreach (var write in writes)
        {
            int size = SequenceHooks.RowShape(config, write.Hook, length).Size;
            if (write.Mask.Length != size)
                throw new BitOnnxException($"The write into '{write.Hook}' has a mask of {write.Mask.Length} values, but one row of that hook holds {size}; give one mask value per entry of a row.");
            if (write.Values.Length != size && write.Values.Length != rows * size)
                throw new BitOnnxException($"The write into '{write.Hook}' has {write.Values.Length} values, but needs one row of {size} or {rows} rows of {size}; give values in the hook's row shape.");
            if (!_writes.TryAdd(write.Hook, write))
                throw new BitOnnxException($"'{write.Hook}' is written twice in one pass; merge the two writes into one.");
        }
        foreach (var hook in capture) SequenceHooks.RowShape(config, hook, length);
        _capture = [.. capture];
    }

    public IReadOnlyDictionary<string, float[]> Captured => _captured;

    public bool Writes(string hook) => _writes.ContainsKey(hook);

    /// <summary>Applies the write into <paramref name="hook"/>, if any, then captures it if asked.</summary>
    public void At(string hook, Span<float> values)
    {
        if (_writes.TryGetValue(hook, out var write))
        {
            int size = write.Mask.Length;
            bool perRow = write.Values.Length != size;
            for (var r = 0; r < _rows; r++)
            {
                var row = values.Slice(r * size, size);
                var source = write.Values.AsSpan(perRow ? r * size : 0, size);
                for (var i = 0; i < size; i++)
                    if (write.Mask[i] != 0) row[i] = source[i];
            }
        }
        if (_capture.Contains(hook)) _captured[hook] = values.ToArray();
    }
}
