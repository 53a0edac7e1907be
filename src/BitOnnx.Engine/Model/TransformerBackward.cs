using System.Numerics.Tensors;
using BitOnnx.Engine.Kernels;
using BitOnnx.Engine.Layers;

namespace BitOnnx.Engine.Model;

/// <summary>
/// The backward pass after <see cref="TransformerForward.Run"/> on a workspace with gradients: adds the gradient of the
/// batch's mean loss with respect to every effective weight into <c>grad</c>.
/// </summary>
public static class TransformerBackward
{
    public static void Run(EffectiveWeights w, Workspace ws, EffectiveWeights grad, int threads)
    {
        if (!ws.WithGradients) throw new InvalidOperationException("This workspace was built without gradient buffers.");
        var c = ws.Config;
        Gemm.Multiply(ws.FinalOut, ws.DLogits, grad.Unembed, c.DModel, c.DVocabOut, ws.Batch, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(ws.DLogits, w.Unembed, ws.DFinalOut, ws.Batch, c.DModel, c.DVocabOut, transposeB: true, threads: threads);
        if (c.FinalNorm)
            FinalNorm.Backward(ws.Batch, c.DModel, ws.FinalIn, w.NormWeight, ws.InverseNorm, ws.DFinalOut, ws.DFinalIn, grad.NormWeight, threads);

        var last = ws.Blocks[^1];
        Array.Clear(last.DResidPost);
        for (var n = 0; n < ws.Batch; n++)
            ws.DFinalIn.AsSpan(n * c.DModel, c.DModel).CopyTo(last.DResidPost.AsSpan((n * last.QueryPositions + last.QueryPositions - 1) * c.DModel, c.DModel));

        for (var l = c.NLayers - 1; l >= 0; l--) Block(w, ws, grad, l, threads);
    }

    private static void Block(EffectiveWeights w, Workspace ws, EffectiveWeights grad, int layer, int threads)
    {
        var c = ws.Config;
        var a = ws.Blocks[layer];
        var weights = w.Blocks[layer];
        var g = grad.Blocks[layer];
        int batch = ws.Batch, rowsQ = batch * a.QueryPositions, rows = batch * c.NCtx, width = c.AttentionWidth;

        a.DResidPost.CopyTo(a.DResidMid, 0);
        Mlp.Backward(rowsQ, c.DModel, c.DMlp, a.ResidMid, weights.MlpIn, weights.MlpOut, a.Pre, a.Post, a.DResidPost,
            a.DHidden, a.DResidMid, g.MlpIn, g.MlpOut, threads);

        Gemm.Multiply(a.Z, a.DResidMid, g.Output, width, c.DModel, rowsQ, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(a.DResidMid, weights.Output, a.DZ, rowsQ, width, c.DModel, transposeB: true, threads: threads);
        var dims = new AttentionDims(batch, a.QueryPositions, c.NCtx, c.NHeads, c.DHead, a.QueryOffset);
        AttentionMixing.Backward(dims, c.ScoreScale, a.Q, a.K, a.V, a.Pattern, a.DZ, a.DQ, a.DK, a.DV, threads);
        a.DResidMid.CopyTo(a.DResidQuery, 0);

        if (layer == 0)
        {
            ScatterIntoTables(ws, a, threads);
            TablesBackward(w, ws, grad, threads);
            return;
        }

        var input = ws.Blocks[layer - 1].ResidPost;
        var dInput = ws.Blocks[layer - 1].DResidPost;
        Gemm.Multiply(a.ResidQuery, a.DQ, g.Query, c.DModel, width, rowsQ, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(a.DQ, weights.Query, a.DResidQuery, rowsQ, c.DModel, width, transposeB: true, accumulate: true, threads: threads);
        Gemm.Multiply(input, a.DK, g.Key, c.DModel, width, rows, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(input, a.DV, g.Value, c.DModel, width, rows, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(a.DK, weights.Key, dInput, rows, c.DModel, width, transposeB: true, threads: threads);
        Gemm.Multiply(a.DV, weights.Value, dInput, rows, c.DModel, width, transposeB: true, accumulate: true, threads: threads);
        var d = c.DModel;
        for (var n = 0; n < batch; n++)
        {
            var target = dInput.AsSpan((n * c.NCtx + a.QueryOffset) * d, a.QueryPositions * d);
            TensorPrimitives.Add(target, a.DResidQuery.AsSpan(n * a.QueryPositions * d, a.QueryPositions * d), target);
        }
    }

    /// <summary>
    /// Sums block 0's row gradients into its per-(position, token) table rows. Workers own whole positions, and each
    /// visits the batch in order, so every table row is summed in the same order for any thread count.
    /// </summary>
    private static void ScatterIntoTables(Workspace ws, BlockActivations a, int threads)
    {
        var c = ws.Config;
        Array.Clear(ws.DEmbedTable);
        Array.Clear(ws.DQueryTable);
        Array.Clear(ws.DKeyTable);
        Array.Clear(ws.DValueTable);
        int d = c.DModel, width = c.AttentionWidth;
        Parallel.For(0, c.NCtx, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, t =>
        {
            for (var n = 0; n < ws.Batch; n++)
            {
                var row = ws.TableRow(t, ws.Tokens[n * c.NCtx + t]);
                var kv = n * c.NCtx + t;
                AddRow(a.DK, kv, ws.DKeyTable, row, width);
                AddRow(a.DV, kv, ws.DValueTable, row, width);
                if (t < a.QueryOffset) continue;
                var q = n * a.QueryPositions + (t - a.QueryOffset);
                AddRow(a.DQ, q, ws.DQueryTable, row, width);
                AddRow(a.DResidQuery, q, ws.DEmbedTable, row, d);
            }
        });
    }

    private static void AddRow(float[] source, int sourceRow, float[] target, int targetRow, int width)
    {
        var to = target.AsSpan(targetRow * width, width);
        TensorPrimitives.Add(to, source.AsSpan(sourceRow * width, width), to);
    }

    private static void TablesBackward(EffectiveWeights w, Workspace ws, EffectiveWeights grad, int threads)
    {
        var c = ws.Config;
        int rows = c.NCtx * c.DVocab, width = c.AttentionWidth, d = c.DModel;
        var weights = w.Blocks[0];
        var g = grad.Blocks[0];
        Gemm.Multiply(ws.EmbedTable, ws.DQueryTable, g.Query, d, width, rows, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(ws.EmbedTable, ws.DKeyTable, g.Key, d, width, rows, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(ws.EmbedTable, ws.DValueTable, g.Value, d, width, rows, transposeA: true, accumulate: true, threads: threads);
        Gemm.Multiply(ws.DQueryTable, weights.Query, ws.DEmbedTable, rows, d, width, transposeB: true, accumulate: true, threads: threads);
        Gemm.Multiply(ws.DKeyTable, weights.Key, ws.DEmbedTable, rows, d, width, transposeB: true, accumulate: true, threads: threads);
        Gemm.Multiply(ws.DValueTable, weights.Value, ws.DEmbedTable, rows, d, width, transposeB: true, accumulate: true, threads: threads);
        for (var t = 0; t < c.NCtx; t++)
            for (var token = 0; token < c.DVocab; token++)
            {
                var source = ws.DEmbedTable.AsSpan(ws.TableRow(t, token) * d, d);
                var embed = grad.Embed.AsSpan(token * d, d);
                TensorPrimitives.Add(embed, source, embed);
                if (!c.PositionalEmbedding) continue;
                var pos = grad.PosEmbed.AsSpan(t * d, d);
                TensorPrimitives.Add(pos, source, pos);
            }
    }
}
