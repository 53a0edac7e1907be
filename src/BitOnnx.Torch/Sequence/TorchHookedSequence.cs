using BitOnnx.Core;
using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Sequence;

/// <summary>
/// A <see cref="SequenceTransformer"/> as an <see cref="IHookedSequenceModel"/>: TransformerLens' run_with_hooks on
/// TorchSharp, each <see cref="SequenceHookWrite"/> applied where its hook is computed (H' = mask ? values : H, so the
/// rest of the pass reads the written value) and the hooks asked for returned as float32 rows. The model stays the
/// caller's to dispose.
/// </summary>
public sealed class TorchHookedSequence(SequenceTransformer model) : IHookedSequenceModel
{
    public SequenceModelConfig Config => model.Config;

    public SequenceRun Run(int[] tokens, int rows, int length, IReadOnlyList<SequenceHookWrite> writes, IReadOnlyCollection<string> capture)
    {
        var c = Config;
        Check(c, tokens, rows, length);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var hooks = new HookPoints(Tensors(writes, rows, length), recorder: null, gradients: false);
        var input = torch.tensor(tokens, [rows, length]).to(ScalarType.Int64);
        var logits = model.Forward(input, hooks);
        var wanted = new HashSet<string>(capture, StringComparer.Ordinal);
        foreach (var name in wanted) SequenceHooks.RowShape(c, name, length); // an unknown name is the one-sentence error
        var read = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, value) in hooks.Seen)
            if (wanted.Contains(name)) read[name] = Floats(value);
        return new SequenceRun(Floats(logits), read);
    }

    private static void Check(SequenceModelConfig c, int[] tokens, int rows, int length)
    {
        if (rows <= 0 || length <= 0 || length > c.NCtx)
            throw new BitOnnxException($"A pass of {rows} rows of {length} tokens cannot run on a model of n_ctx {c.NCtx}; give at least one row of 1 to {c.NCtx} tokens.");
        if (tokens.Length != (long)rows * length)
            throw new BitOnnxException($"{tokens.Length} tokens are not {rows} rows of {length}; give the tokens [rows, length] row-major.");
        var bad = Array.FindIndex(tokens, t => t < 0 || t >= c.DVocab);
        if (bad >= 0)
            throw new BitOnnxException($"Token {tokens[bad]} (row {bad / length}, position {bad % length}) is outside the vocabulary 0..{c.DVocab - 1}; give the task's tokens.");
    }

    /// <summary>Each write as the tensors the hook points apply, in the model's dtype, its values one row per batch row.</summary>
    private Dictionary<string, IReadOnlyList<TensorWrite>> Tensors(IReadOnlyList<SequenceHookWrite> writes, int rows, int length)
    {
        var byHook = new Dictionary<string, IReadOnlyList<TensorWrite>>(StringComparer.Ordinal);
        foreach (var write in writes)
        {
            var shape = SequenceHooks.RowShape(Config, write.Hook, length);
            long size = shape.Size;
            if (write.Mask.Length != size)
                throw new BitOnnxException($"The write into '{write.Hook}' has a mask of {write.Mask.Length} values, but a row of that hook has {size} ({shape}); give one mask value per element of a row.");
            if (write.Values.Length != size && write.Values.Length != rows * size)
                throw new BitOnnxException($"The write into '{write.Hook}' has {write.Values.Length} values, but that hook has {size} per row ({shape}) and {rows * size} for {rows} rows; give one row for all or one per row.");
            if (Array.TrueForAll(write.Mask, m => m == 0)) continue;
            long[] dims = shape.ToLongArray();
            var mask = torch.tensor(Array.ConvertAll(write.Mask, m => m != 0), [1, .. dims]);
            var values = torch.tensor(write.Values, [write.Values.Length == size ? 1 : rows, .. dims]).to(model.DType).expand([rows, .. dims]);
            var list = byHook.TryGetValue(write.Hook, out var existing) ? [.. existing] : new List<TensorWrite>();
            list.Add(new TensorWrite(mask, values));
            byHook[write.Hook] = list;
        }
        return byHook;
    }

    private static float[] Floats(Tensor t) => t.detach().to(ScalarType.Float32).contiguous().data<float>().ToArray();
}
