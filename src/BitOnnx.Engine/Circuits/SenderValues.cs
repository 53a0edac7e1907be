using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;

namespace BitOnnx.Engine.Circuits;

/// <summary>
/// What every sender of a <see cref="Core.Circuits.CircuitGraph"/> writes into the residual stream on one batch of
/// rows, at the positions its receivers read. A head is kept as its z (its output is z·W_O[head], linear in z, so
/// choosing between two z's chooses between two outputs). Shapes, R rows of T positions: Embed, PosEmbed [R·T, dModel];
/// per block and head Z [n, dHead]; per block MlpOut [n, dModel]; n = R·T, except in the last block, whose heads and MLP
/// are read at the last position only, where n = R. With the MLPs split into groups of neurons, per block Post
/// [n, dMlp] (hook_post) too: a group's output is its columns of Post through its rows of W_out, linear in them.
/// </summary>
internal sealed class SenderValues
{
    private SenderValues(float[] embed, float[] posEmbed, float[][][] z, float[][] mlpOut, float[][]? post)
    {
        Post = post;
        Embed = embed;
        PosEmbed = posEmbed;
        Z = z;
        MlpOut = mlpOut;
    }

    public float[] Embed { get; }

    /// <summary>Empty without positional embeddings.</summary>
    public float[] PosEmbed { get; }

    /// <summary>[block][head]</summary>
    public float[][][] Z { get; }

    /// <summary>[block]</summary>
    public float[][] MlpOut { get; }

    /// <summary>[block] the MLP's activations; null unless asked for (the MLPs split into groups).</summary>
    public float[][]? Post { get; }

    /// <summary>The senders' values as <paramref name="run"/> computed them (a run without writes).</summary>
    /// <param name="post">Keep each MLP's activations too (<see cref="Post"/>).</param>
    public static SenderValues Of(HookedRun run, TransformerConfig c, bool post = false)
    {
        int t = c.NCtx, e = c.DHead, last = c.NLayers - 1;
        var z = new float[c.NLayers][][];
        var mlp = new float[c.NLayers][];
        for (var l = 0; l < c.NLayers; l++)
        {
            var all = run[HookNames.Z(l)].Data;
            z[l] = new float[c.NHeads][];
            for (var h = 0; h < c.NHeads; h++) z[l][h] = Columns(all, c.AttentionWidth, h * e, e, l == last ? t : 1, t - 1);
            var output = run[HookNames.MlpOut(l)].Data;
            mlp[l] = l == last ? Columns(output, c.DModel, 0, c.DModel, t, t - 1) : output;
        }
        var posts = post
            ? Enumerable.Range(0, c.NLayers).Select(l => l == last ? Columns(run[HookNames.MlpPost(l)].Data, c.DMlp, 0, c.DMlp, t, t - 1) : run[HookNames.MlpPost(l)].Data).ToArray()
            : null;
        return new SenderValues(run[HookNames.Embed].Data, c.PositionalEmbedding ? run[HookNames.PosEmbed].Data : [], z, mlp, posts);
    }

    /// <summary>
    /// Every value replaced by its mean over the rows, at each position and element (sums in double, rounded once):
    /// mean ablation's corrupted senders. A head's mean z gives its mean output, the output being linear in z.
    /// </summary>
    public SenderValues Means(TransformerConfig c, int rows)
    {
        int t = c.NCtx, last = c.NLayers - 1;
        var z = new float[c.NLayers][][];
        var mlp = new float[c.NLayers][];
        for (var l = 0; l < c.NLayers; l++)
        {
            var positions = l == last ? 1 : t;
            z[l] = Z[l].Select(head => Mean(head, rows, positions * c.DHead)).ToArray();
            mlp[l] = Mean(MlpOut[l], rows, positions * c.DModel);
        }
        var post = Post?.Select((p, l) => Mean(p, rows, (l == last ? 1 : t) * c.DMlp)).ToArray();
        return new SenderValues(Mean(Embed, rows, t * c.DModel), c.PositionalEmbedding ? Mean(PosEmbed, rows, t * c.DModel) : [], z, mlp, post);
    }

    /// <summary>
    /// Columns from..from+width of <paramref name="source"/> [rows, stride], contiguous: of every row when
    /// <paramref name="step"/> is 1, of one row in each <paramref name="step"/> (the one at <paramref name="position"/>:
    /// with step T, one position of each input row) otherwise.
    /// </summary>
    internal static float[] Columns(float[] source, int stride, int from, int width, int step, int position)
    {
        var rows = source.Length / stride / step;
        var offset = step == 1 ? 0 : position;
        var result = new float[rows * width];
        for (var r = 0; r < rows; r++)
            source.AsSpan((r * step + offset) * stride + from, width).CopyTo(result.AsSpan(r * width, width));
        return result;
    }

    /// <summary>
    /// Columns <paramref name="columns"/> of <paramref name="source"/> [rows, stride], in that order, of every row or
    /// of one row in each <paramref name="step"/> as <see cref="Columns(float[], int, int, int, int, int)"/>.
    /// </summary>
    internal static float[] Columns(float[] source, int stride, IReadOnlyList<int> columns, int step, int position)
    {
        var rows = source.Length / stride / step;
        var offset = step == 1 ? 0 : position;
        int width = columns.Count;
        var result = new float[rows * width];
        for (var r = 0; r < rows; r++)
        {
            var from = (r * step + offset) * stride;
            for (var j = 0; j < width; j++) result[r * width + j] = source[from + columns[j]];
        }
        return result;
    }

    /// <summary>Rows <paramref name="rows"/> of <paramref name="source"/> [*, width], in that order.</summary>
    internal static float[] Rows(ReadOnlySpan<float> source, int width, IReadOnlyList<int> rows)
    {
        var result = new float[rows.Count * width];
        for (var i = 0; i < rows.Count; i++) source.Slice(rows[i] * width, width).CopyTo(result.AsSpan(i * width, width));
        return result;
    }

    private static float[] Mean(float[] values, int rows, int rowSize)
    {
        var sums = new double[rowSize];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < rowSize; i++) sums[i] += values[r * rowSize + i];
        var mean = new float[values.Length];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < rowSize; i++) mean[r * rowSize + i] = (float)(sums[i] / rows);
        return mean;
    }
}
