using BitOnnx.Core.Model;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// Every activation of one pass over tokens [rows, length] that the backward pass reads, and the gradient buffers it
/// writes, in one place. The buffers hold <see cref="RowCapacity"/> rows of n_ctx positions and are reused for any
/// shape that fits (<see cref="SetShape"/>): greedy decoding asks for a longer prefix at every step, and a model at
/// Quirke et al.'s width would otherwise allocate a gigabyte for each. A pass reads and writes the first
/// <see cref="N"/> = rows · length rows of each buffer ([N, width] row-major; scores and pattern [rows, heads, length,
/// length]); the rest is stale. The gradient buffers are made on the first backward pass, which evaluation never runs.
/// </summary>
internal sealed class SequenceActivations
{
    private readonly SequenceModelConfig _c;
    private GradientBuffers? _gradients;

    public SequenceActivations(SequenceModelConfig c, int rowCapacity)
    {
        _c = c;
        RowCapacity = rowCapacity;
        int n = rowCapacity * c.NCtx, d = c.DModel, w = c.NHeads * c.DHead, m = c.DMlp, s = rowCapacity * c.NHeads * c.NCtx * c.NCtx;
        Tokens = new int[n];
        Embed = new float[n * d];
        PosEmbed = new float[n * d];
        Layers = Enumerable.Range(0, c.NLayers).Select(_ => new Layer(n, d, w, m, s)).ToArray();
        FinalNormalized = new float[n * d];
        FinalMean = new float[n];
        FinalRstd = new float[n];
        Logits = new float[n * c.DVocabOut];
    }

    public int RowCapacity { get; }
    public int Rows { get; private set; }
    public int Length { get; private set; }
    public int N => Rows * Length;

    /// <summary>The shape of the next pass; rows at most <see cref="RowCapacity"/>, length at most n_ctx.</summary>
    public void SetShape(int rows, int length)
    {
        if (rows > RowCapacity || length > _c.NCtx) throw new ArgumentException($"{rows} rows of {length} do not fit {RowCapacity} rows of {_c.NCtx}.");
        Rows = rows;
        Length = length;
    }

    /// <summary>The first N rows of a [rows · positions, width] buffer.</summary>
    public Span<float> Used(float[] buffer, int width) => buffer.AsSpan(0, N * width);

    /// <summary>The used part of a scores or pattern buffer, [rows, heads, length, length].</summary>
    public Span<float> UsedScores(float[] buffer) => buffer.AsSpan(0, Rows * _c.NHeads * Length * Length);

    public int[] Tokens { get; }
    /// <summary>[N, d_model] each.</summary>
    public float[] Embed { get; }
    public float[] PosEmbed { get; }
    public Layer[] Layers { get; }
    /// <summary>ln_final of the last block's resid_post [N, d_model], and its statistics [N].</summary>
    public float[] FinalNormalized { get; }
    public float[] FinalMean { get; }
    public float[] FinalRstd { get; }
    /// <summary>[N, d_vocab_out].</summary>
    public float[] Logits { get; }

    public GradientBuffers Gradients => _gradients ??= new GradientBuffers(RowCapacity * _c.NCtx, _c);

    /// <summary>The residual stream's gradient, a LayerNorm output's, attention's Q/K/V/z, the MLP's hidden layer's, the logits'.</summary>
    public sealed class GradientBuffers(int n, SequenceModelConfig c)
    {
        public float[] DResid { get; } = new float[n * c.DModel];
        public float[] DNormalized { get; } = new float[n * c.DModel];
        public float[] DQ { get; } = new float[n * c.NHeads * c.DHead];
        public float[] DK { get; } = new float[n * c.NHeads * c.DHead];
        public float[] DV { get; } = new float[n * c.NHeads * c.DHead];
        public float[] DZ { get; } = new float[n * c.NHeads * c.DHead];
        public float[] DHidden { get; } = new float[n * c.DMlp];
        public float[] DLogits { get; } = new float[n * c.DVocabOut];
    }

    /// <summary>One block: ResidPre, Ln1, AttnOut, ResidMid, Ln2, MlpOut, ResidPost [N, d]; Q, K, V, Z [N, W];
    /// Scores, Pattern [rows, heads, length, length]; Pre, Post [N, d_mlp]; LayerNorm statistics [N].</summary>
    public sealed class Layer(int n, int d, int w, int m, int s)
    {
        public float[] ResidPre { get; } = new float[n * d];
        public float[] Ln1 { get; } = new float[n * d];
        public float[] Ln1Mean { get; } = new float[n];
        public float[] Ln1Rstd { get; } = new float[n];
        public float[] Q { get; } = new float[n * w];
        public float[] K { get; } = new float[n * w];
        public float[] V { get; } = new float[n * w];
        public float[] Scores { get; } = new float[s];
        public float[] Pattern { get; } = new float[s];
        public float[] Z { get; } = new float[n * w];
        public float[] AttnOut { get; } = new float[n * d];
        public float[] ResidMid { get; } = new float[n * d];
        public float[] Ln2 { get; } = new float[n * d];
        public float[] Ln2Mean { get; } = new float[n];
        public float[] Ln2Rstd { get; } = new float[n];
        public float[] Pre { get; } = new float[n * m];
        public float[] Post { get; } = new float[n * m];
        public float[] MlpOut { get; } = new float[n * d];
        public float[] ResidPost { get; } = new float[n * d];
    }
}
