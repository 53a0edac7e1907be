using BitOnnx.Core.Model;
using BitOnnx.Engine.Kernels;
using BitOnnx.Engine.Layers;
using BitOnnx.Engine.Model;

namespace BitOnnx.Engine.Hooks;

/// <summary>
/// The forward pass of a <see cref="HookedModel"/>: every position of every block, each activation kept under its hook
/// name and written, when a write names it, before anything reads it. The kernels and their order are
/// <see cref="TransformerForward"/>'s with every position queried (as <see cref="ActivationCache"/> runs it): a product
/// gives each element the same fused chain whatever its batch, so block 0's rows computed here equal the training
/// pass's table rows to the bit. Shapes: R rows, T = nCtx, W = heads·dHead; [R·T, ·] per position, [R, ·] logits.
/// </summary>
internal static class HookedForward
{
    public static HookedRun Run(HookedModel model, EffectiveWeights w, int[] tokens, HookWriteSet writes, int threads)
    {
        var c = w.Config;
        int rows = tokens.Length / c.NCtx, positions = tokens.Length, d = c.DModel;
        var hooks = new Dictionary<string, float[]>(StringComparer.Ordinal);
        float[] Hook(string name, float[] activation)
        {
            writes.Apply(name, activation, threads);
            hooks[name] = activation;
            return activation;
        }

        var embed = Hook(HookNames.Embed, Gather(w.Embed, d, positions, i => tokens[i]));
        var resid = embed;
        if (c.PositionalEmbedding)
        {
            var pos = Hook(HookNames.PosEmbed, Gather(w.PosEmbed, d, positions, i => i % c.NCtx));
            resid = Buffer(positions * d);
            ParallelRows.Add(embed, pos, resid, d, threads);
        }
        else
        {
            resid = (float[])embed.Clone();
        }

        var softmax = new float[c.NLayers][];
        for (var l = 0; l < c.NLayers; l++)
        {
            var residPre = Hook(HookNames.ResidPre(l), l == 0 ? resid : (float[])resid.Clone());
            resid = Block(w, l, rows, residPre, Hook, hooks, writes, threads, out softmax[l]);
        }

        var final = resid;
        var inverseNorm = Array.Empty<float>();
        if (c.FinalNorm)
        {
            inverseNorm = new float[positions];
            final = Buffer(positions * d);
            FinalNorm.Forward(positions, d, resid, w.NormWeight, final, inverseNorm, threads);
            Hook(HookNames.FinalNormalized, final);
        }
        var atLast = Buffer(rows * d);
        for (var n = 0; n < rows; n++) final.AsSpan(((n + 1) * c.NCtx - 1) * d, d).CopyTo(atLast.AsSpan(n * d, d));
        var logits = Buffer(rows * c.DVocabOut);
        Gemm.Multiply(atLast, w.Unembed, logits, rows, c.DVocabOut, d, threads: threads);
        hooks[HookNames.Logits] = logits;
        return new HookedRun(model, tokens, new HookTensors(c, rows, hooks), writes, softmax, inverseNorm);
    }

    /// <summary>One block from its (written) input; returns its (written) resid_post.</summary>
    private static float[] Block(EffectiveWeights w, int l, int rows, float[] residPre, Func<string, float[], float[]> hook,
        Dictionary<string, float[]> hooks, HookWriteSet writes, int threads, out float[] softmax)
    {
        var c = w.Config;
        var weights = w.Blocks[l];
        int positions = rows * c.NCtx, d = c.DModel, width = c.AttentionWidth;
        float[] Product(float[] input, float[] weight, int n, int k)
        {
            var output = Buffer(positions * n);
            Gemm.Multiply(input, weight, output, positions, n, k, threads: threads);
            return output;
        }

        var q = hook(HookNames.Q(l), Product(residPre, weights.Query, width, d));
        var k = hook(HookNames.K(l), Product(residPre, weights.Key, width, d));
        var v = hook(HookNames.V(l), Product(residPre, weights.Value, width, d));
        var dims = new AttentionDims(rows, c.NCtx, c.NCtx, c.NHeads, c.DHead, QueryOffset: 0);
        var scores = Buffer(rows * c.NHeads * c.NCtx * c.NCtx);
        var pattern = Buffer(scores.Length);
        var z = Buffer(positions * width);
        AttentionMixing.Forward(dims, c.ScoreScale, c.CausalMask, q, k, v, scores, pattern, z, threads);
        hooks[HookNames.AttnScores(l)] = scores;
        softmax = pattern;
        if (writes.WritesTo(HookNames.Pattern(l)))
        {
            // The backward pass needs the softmax as computed; the hook holds the pattern as written, and z mixes by it.
            softmax = (float[])pattern.Clone();
            hook(HookNames.Pattern(l), pattern);
            HookedAttention.Mix(dims, pattern, v, z, threads);
        }
        hooks[HookNames.Pattern(l)] = pattern;
        hook(HookNames.Z(l), z);

        var attnOut = hook(HookNames.AttnOut(l), Product(z, weights.Output, d, width));
        var residMid = Buffer(positions * d);
        ParallelRows.Add(residPre, attnOut, residMid, d, threads);
        hook(HookNames.ResidMid(l), residMid);
        var pre = hook(HookNames.MlpPre(l), Product(residMid, weights.MlpIn, c.DMlp, d));
        var post = Buffer(pre.Length);
        ParallelRows.For(positions, threads, (first, last) =>
        {
            var range = (first * c.DMlp)..(last * c.DMlp);
            Relu.Forward(pre.AsSpan(range), post.AsSpan(range));
        });
        hook(HookNames.MlpPost(l), post);
        var mlpOut = hook(HookNames.MlpOut(l), Product(post, weights.MlpOut, d, c.DMlp));
        var residPost = Buffer(positions * d);
        ParallelRows.Add(residMid, mlpOut, residPost, d, threads);
        return hook(HookNames.ResidPost(l), residPost);
    }

    /// <summary>[count, width]: row i is table row index(i).</summary>
    private static float[] Gather(float[] table, int width, int count, Func<int, int> index)
    {
        var rows = Buffer(count * width);
        for (var i = 0; i < count; i++) table.AsSpan(index(i) * width, width).CopyTo(rows.AsSpan(i * width, width));
        return rows;
    }

    /// <summary>An array every element of which is written before it is read (at P = 113 a block's hooks are 300 MB).</summary>
    private static float[] Buffer(int length) => GC.AllocateUninitializedArray<float>(length);
}
