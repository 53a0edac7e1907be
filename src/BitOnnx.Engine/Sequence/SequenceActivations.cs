using BitOnnx.Core.Model;

namespace BitOnnx.Engine.Sequence;

/// <summary>
/// Every activation of one pass over tokens [rows, length] that the backward pass reads, and the gradient buffers it
/// writes, in one place and reused while the batch shape stays. N = rows · length; W = heads · d_head.
/// </summary>
internal sealed class SequenceActivations
{
    public SequenceActivations(SequenceModelConfig c, int rows, int length)
    {
        Rows = rows;
        Length = length;
        int n = rows * length, d = c.DModel, w = c.NHeads * c.DHead, m = c.DMlp, s = rows * c.NHeads * length * length;
        Tokens = new int[n];
        Embed = new float[n * d];
        PosEmbed = new float[n * d];
        Layers = Enumerable.Range(0, c.NLayers).Select(_ => new Layer(n, d, w, m, s)).ToArray();
        FinalNormalized = new float[n * d];
        FinalMean = new float[n];
        FinalRstd = new float[n];
        Logits = new float[n * c.DVocabOut];
        DResid = new float[n * d];
        DNormalized = new float[n * d];
        DQ = new float[n * w];
        DK = new float[n * w];
        DV = new float[n * w];
        DZ = new float[n * w];
        DHidden = new float[n * m];
        DLogits = new float[n * c.DVocabOut];
    }

    public int Rows { get; }
    public int Length { get; }
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

    // Gradients: the residual stream's, a LayerNorm output's, attention's Q/K/V/z, the MLP's hidden layer, the logits'.
    public float[] DResid { get; }
    public float[] DNormalized { get; }
    public float[] DQ { get; }
    public float[] DK { get; }
    public float[] DV { get; }
    public float[] DZ { get; }
    public float[] DHidden { get; }
    public float[] DLogits { get; }

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
