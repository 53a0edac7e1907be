using BitOnnx.Core.Model;
using BitOnnx.Engine.Kernels;
using BitOnnx.Engine.Layers;
using BitOnnx.Engine.Model;

namespace BitOnnx.Engine.Hooks;

/// <summary>
/// The backward pass of a <see cref="HookedModel"/> from d metric / d logits to every hook, in reverse forward order.
/// At each hook it records the gradient with respect to the value as used (after the writes), then passes on, through
/// <see cref="HookWriteSet.PassThrough"/>, only what reaches the value before them. Where a value feeds two things
/// (resid_pre feeds q, k, v and resid_mid; resid_mid feeds the MLP and resid_post) their gradients add. No weight
/// gradients. Every hook keeps an array of its own, never written after it is recorded: what passes through is only
/// read, and copied where a sum starts from it or another hook records the same values. Shapes as in
/// <see cref="HookedForward"/>.
/// </summary>
internal static class HookedBackward
{
    public static HookTensors Run(EffectiveWeights w, HookedRun run, float[] dLogits, int threads)
    {
        var c = w.Config;
        int rows = run.Rows, positions = rows * c.NCtx, d = c.DModel;
        var grads = new Dictionary<string, float[]>(StringComparer.Ordinal) { [HookNames.Logits] = (float[])dLogits.Clone() };
        var pass = new Pass(run.WriteSet, grads, rows, threads);

        var atLast = new float[rows * d];
        Gemm.Multiply(dLogits, w.Unembed, atLast, rows, d, c.DVocabOut, transposeB: true, threads: threads);
        // The unembed reads the last position only: every other position's gradient starts at 0.
        var top = new float[positions * d];
        for (var n = 0; n < rows; n++) atLast.AsSpan(n * d, d).CopyTo(top.AsSpan(((n + 1) * c.NCtx - 1) * d, d));
        var resid = top;
        if (c.FinalNorm)
        {
            var normalized = pass.Record(HookNames.FinalNormalized, top);
            resid = new float[positions * d];
            FinalNorm.Backward(positions, d, run[HookNames.ResidPost(c.NLayers - 1)].Data, w.NormWeight, run.InverseNorm,
                normalized, resid, dG: new float[d], threads); // the gain's gradient is not wanted
        }

        for (var l = c.NLayers - 1; l >= 0; l--) resid = Block(w, run, l, resid, pass);
        // resid_pre(0) = hook_embed + hook_pos_embed, and nothing comes before them.
        pass.Keep(HookNames.Embed, resid);
        if (c.PositionalEmbedding) pass.Keep(HookNames.PosEmbed, (float[])resid.Clone());
        return new HookTensors(c, rows, grads);
    }

    /// <summary>
    /// From the gradient at the block's resid_post (after its writes) to what reaches the block's input before
    /// resid_pre's writes: the gradient at resid_post of the block before, or at the embeddings.
    /// </summary>
    private static float[] Block(EffectiveWeights w, HookedRun run, int l, float[] dResidPost, Pass pass)
    {
        var c = w.Config;
        var weights = w.Blocks[l];
        int positions = run.Rows * c.NCtx, d = c.DModel, width = c.AttentionWidth, threads = pass.Threads;
        float[] Product(float[] gradient, float[] weight, int n, int k)
        {
            var output = new float[positions * n];
            Gemm.Multiply(gradient, weight, output, positions, n, k, transposeB: true, threads: threads);
            return output;
        }

        // resid_post = resid_mid + mlp_out: both get resid_post's gradient.
        var residual = pass.Record(HookNames.ResidPost(l), dResidPost);
        var dMlpOut = pass.Record(HookNames.MlpOut(l), (float[])residual.Clone());
        var dPost = pass.Record(HookNames.MlpPost(l), Product(dMlpOut, weights.MlpOut, c.DMlp, d));
        var pre = run[HookNames.MlpPre(l)].Data;
        var dPreValues = new float[pre.Length];
        ParallelRows.For(positions, threads, (first, last) =>
        {
            var range = (first * c.DMlp)..(last * c.DMlp);
            Relu.Backward(pre.AsSpan(range), dPost.AsSpan(range), dPreValues.AsSpan(range));
        });
        var dPre = pass.Record(HookNames.MlpPre(l), dPreValues);
        var dResidMidValues = (float[])residual.Clone();
        Gemm.Multiply(dPre, weights.MlpIn, dResidMidValues, positions, d, c.DMlp, transposeB: true, accumulate: true, threads: threads);

        // resid_mid = resid_pre + attn_out.
        var dResidMid = pass.Record(HookNames.ResidMid(l), dResidMidValues);
        var dAttnOut = pass.Record(HookNames.AttnOut(l), (float[])dResidMid.Clone());
        var dZ = pass.Record(HookNames.Z(l), Product(dAttnOut, weights.Output, width, d));

        var dims = new AttentionDims(run.Rows, c.NCtx, c.NCtx, c.NHeads, c.DHead, QueryOffset: 0);
        var scores = run[HookNames.AttnScores(l)].Data;
        float[] dPattern = new float[scores.Length], dScores = new float[scores.Length];
        float[] dQ = new float[positions * width], dK = new float[dQ.Length], dV = new float[dQ.Length];
        var patternRow = c.NHeads * c.NCtx * c.NCtx;
        HookedAttention.Backward(dims, c.ScoreScale, run[HookNames.Q(l)].Data, run[HookNames.K(l)].Data, run[HookNames.V(l)].Data,
            run.Softmax[l], run[HookNames.Pattern(l)].Data, dZ, run.WriteSet.OverwrittenMask(HookNames.Pattern(l), patternRow),
            dPattern, dScores, dQ, dK, dV, threads);
        pass.Keep(HookNames.Pattern(l), dPattern); // its writes were applied inside, where the softmax is
        pass.Keep(HookNames.AttnScores(l), dScores);

        // resid_pre feeds the residual stream and the three projections.
        var dResidPre = (float[])dResidMid.Clone();
        foreach (var (hook, gradient, weight) in new[] { (HookNames.Q(l), dQ, weights.Query), (HookNames.K(l), dK, weights.Key), (HookNames.V(l), dV, weights.Value) })
        {
            var projected = pass.Record(hook, gradient);
            Gemm.Multiply(projected, weight, dResidPre, positions, d, width, transposeB: true, accumulate: true, threads: threads);
        }
        var through = pass.Record(HookNames.ResidPre(l), dResidPre);
        // The block before (or the embeddings) records what reaches it: an array of its own.
        return ReferenceEquals(through, dResidPre) ? (float[])dResidPre.Clone() : through;
    }

    /// <summary>The gradients recorded so far, and the writes they pass through.</summary>
    private sealed class Pass(HookWriteSet writes, Dictionary<string, float[]> grads, int rows, int threads)
    {
        public int Threads => threads;

        /// <summary>
        /// Keeps <paramref name="gradient"/> (d metric / d the hook's value after its writes) as the hook's, and returns
        /// what reaches the value before them, to be read (it is the same array when nothing was overwritten).
        /// </summary>
        public float[] Record(string hook, float[] gradient)
        {
            Keep(hook, gradient);
            return writes.PassThrough(hook, gradient, gradient.Length / rows, threads);
        }

        public void Keep(string hook, float[] gradient) => grads[hook] = gradient;
    }
}
