using BitOnnx.Core.Model;

namespace BitOnnx.Equivalence.Tests;

/// <summary>
/// Components of a trained model whose ablation moves the logits, read from the engine's clean run over every pair. A
/// fixed index can name a component that does nothing: a neuron that never fires, a head that attends only to '=' (its
/// z is the same in every row, so its mean is no change), a pattern entry that is already 0. A write there changes
/// nothing, so it could not show that a backend takes the write.
/// </summary>
public static class BusyComponents
{
    /// <summary>A block's neurons by the variance of their hook_post over every pair and position, largest first.</summary>
    public static int[] Neurons(ThreeBackendModel m, int block)
    {
        var post = m.EngineClean[HookNames.MlpPost(block)].Data;
        var d = m.Config.DMlp;
        var variance = new double[d];
        for (var n = 0; n < d; n++) variance[n] = Variance(post, n, d);
        return Enumerable.Range(0, d).OrderByDescending(n => variance[n]).ToArray();
    }

    /// <summary>
    /// The head whose block-0 pattern weighs a (source 0) most at '=' (destination 2) on average: zeroing that entry
    /// removes the most.
    /// </summary>
    public static int PatternHead(ThreeBackendModel m)
    {
        var c = m.Config;
        var pattern = m.EngineClean[HookNames.Pattern(0)].Data;
        var weight = new double[c.NHeads];
        for (var r = 0; r < m.Rows; r++)
            for (var h = 0; h < c.NHeads; h++) weight[h] += pattern[((r * c.NHeads + h) * c.NCtx + 2) * c.NCtx];
        return Enumerable.Range(0, c.NHeads).MaxBy(h => weight[h]);
    }

    /// <summary>
    /// A block's heads but <paramref name="except"/>, by how much their hook_z at '=' (the position the unembed reads)
    /// varies over the pairs (the variances of its d_head values, summed), largest first.
    /// </summary>
    public static int[] Heads(ThreeBackendModel m, int block, IReadOnlyCollection<int> except)
    {
        var c = m.Config;
        var z = m.EngineClean[HookNames.Z(block)].Data;
        var rowSize = c.NCtx * c.NHeads * c.DHead;
        var variance = new double[c.NHeads];
        for (var h = 0; h < c.NHeads; h++)
            for (var d = 0; d < c.DHead; d++) variance[h] += Variance(z, ((c.NCtx - 1) * c.NHeads + h) * c.DHead + d, rowSize);
        return Enumerable.Range(0, c.NHeads).Where(h => !except.Contains(h)).OrderByDescending(h => variance[h]).ToArray();
    }

    /// <summary>The variance of values[first], values[first + stride], … (one element of every row).</summary>
    private static double Variance(float[] values, int first, int stride)
    {
        double sum = 0, squares = 0;
        var count = 0;
        for (var i = first; i < values.Length; i += stride, count++)
        {
            sum += values[i];
            squares += (double)values[i] * values[i];
        }
        var mean = sum / count;
        return squares / count - mean * mean;
    }
}
