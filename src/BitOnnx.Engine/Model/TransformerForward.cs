using BitOnnx.Core.Model;
using BitOnnx.Engine.Kernels;
using BitOnnx.Engine.Layers;

namespace BitOnnx.Engine.Model;

/// <summary>The forward pass, block by block, into a <see cref="Workspace"/>; returns the batch's loss and accuracy.</summary>
public static class TransformerForward
{
    public static LossResult Run(EffectiveWeights w, Workspace ws, int threads)
    {
        var c = ws.Config;
        BuildTables(w, ws, threads);
        for (var l = 0; l < c.NLayers; l++) Block(w, ws, l, threads);

        var last = ws.Blocks[^1];
        if (ws.FinalIn != last.ResidPost) CopyLastPosition(c, ws.Batch, last, last.ResidPost, ws.FinalIn);
        if (c.FinalNorm) FinalNorm.Forward(ws.Batch, c.DModel, ws.FinalIn, w.NormWeight, ws.FinalOut, ws.InverseNorm, threads);
        Gemm.Multiply(ws.FinalOut, w.Unembed, ws.Logits, ws.Batch, c.DVocabOut, c.DModel, threads: threads);
        return CrossEntropy.Forward(ws.Batch, c.DVocabOut, ws.Logits, ws.Targets, ws.RowLoss, ws.RowCorrect,
            ws.WithGradients ? ws.DLogits : Span<float>.Empty, threads);
    }

    private static void BuildTables(EffectiveWeights w, Workspace ws, int threads)
    {
        var c = ws.Config;
        for (var t = 0; t < c.NCtx; t++)
            for (var token = 0; token < c.DVocab; token++)
            {
                var row = ws.EmbedTable.AsSpan(ws.TableRow(t, token) * c.DModel, c.DModel);
                w.Embed.AsSpan(token * c.DModel, c.DModel).CopyTo(row);
                if (c.PositionalEmbedding)
                    System.Numerics.Tensors.TensorPrimitives.Add(row, w.PosEmbed.AsSpan(t * c.DModel, c.DModel), row);
            }
        // One product for the three tables: each element is the same k-ordered chain as in three separate ones.
        var rows = c.NCtx * c.DVocab;
        var block = w.Blocks[0];
        ColumnBlocks.Join([block.Query, block.Key, block.Value], c.DModel, c.AttentionWidth, ws.QkvWeights);
        Gemm.Multiply(ws.EmbedTable, ws.QkvWeights, ws.QkvTable, rows, 3 * c.AttentionWidth, c.DModel, threads: threads);
        ColumnBlocks.Split(ws.QkvTable, rows, c.AttentionWidth, [ws.QueryTable, ws.KeyTable, ws.ValueTable]);
    }

    private static void Block(EffectiveWeights w, Workspace ws, int layer, int threads)
    {
        var c = ws.Config;
        var a = ws.Blocks[layer];
        var weights = w.Blocks[layer];
        int batch = ws.Batch, tq = a.QueryPositions, rowsQ = batch * tq, width = c.AttentionWidth;
        if (layer == 0)
        {
            GatherFromTables(ws, a, threads);
        }
        else
        {
            var input = ws.Blocks[layer - 1].ResidPost;
            CopyPositions(c, batch, input, a.ResidQuery, a.QueryOffset, tq);
            Gemm.Multiply(a.ResidQuery, weights.Query, a.Q, rowsQ, width, c.DModel, threads: threads);
            Gemm.Multiply(input, weights.Key, a.K, batch * c.NCtx, width, c.DModel, threads: threads);
            Gemm.Multiply(input, weights.Value, a.V, batch * c.NCtx, width, c.DModel, threads: threads);
        }

        var dims = new AttentionDims(batch, tq, c.NCtx, c.NHeads, c.DHead, a.QueryOffset);
        if (layer == 0)
            AttentionMixing.Forward(dims, c.ScoreScale, c.CausalMask, a.Q, ws.KeyTable, ws.ValueTable, a.Scores, a.Pattern, a.Z, threads, ws.TokenTableRows);
        else
            AttentionMixing.Forward(dims, c.ScoreScale, c.CausalMask, a.Q, a.K, a.V, a.Scores, a.Pattern, a.Z, threads);
        Gemm.Multiply(a.Z, weights.Output, a.AttnOut, rowsQ, c.DModel, width, threads: threads);
        ParallelRows.Add(a.ResidQuery, a.AttnOut, a.ResidMid, c.DModel, threads);
        Mlp.Forward(rowsQ, c.DModel, c.DMlp, a.ResidMid, weights.MlpIn, weights.MlpOut, a.Pre, a.Post, a.MlpOut, threads);
        ParallelRows.Add(a.ResidMid, a.MlpOut, a.ResidPost, c.DModel, threads);
    }

    /// <summary>
    /// Block 0's queries and residual rows from the tables (its keys and values are read in place); samples are
    /// independent, so workers take contiguous runs of them.
    /// </summary>
    private static void GatherFromTables(Workspace ws, BlockActivations a, int threads) =>
        ParallelRows.For(ws.Batch, threads, (first, last) =>
        {
            for (var n = first; n < last; n++) GatherSample(ws, a, n);
        });

    private static void GatherSample(Workspace ws, BlockActivations a, int n)
    {
        var c = ws.Config;
        int d = c.DModel, width = c.AttentionWidth;
        for (var t = a.QueryOffset; t < c.NCtx; t++)
        {
            var row = ws.TokenTableRows[n * c.NCtx + t];
            var qRow = n * a.QueryPositions + (t - a.QueryOffset);
            ws.QueryTable.AsSpan(row * width, width).CopyTo(a.Q.AsSpan(qRow * width, width));
            ws.EmbedTable.AsSpan(row * d, d).CopyTo(a.ResidQuery.AsSpan(qRow * d, d));
        }
    }

    /// <summary>Copies positions offset..offset+count of [B, T, dModel] into [B, count, dModel].</summary>
    internal static void CopyPositions(TransformerConfig c, int batch, ReadOnlySpan<float> full, Span<float> subset, int offset, int count)
    {
        var d = c.DModel;
        for (var n = 0; n < batch; n++)
            full.Slice((n * c.NCtx + offset) * d, count * d).CopyTo(subset.Slice(n * count * d, count * d));
    }

    private static void CopyLastPosition(TransformerConfig c, int batch, BlockActivations a, ReadOnlySpan<float> residPost, Span<float> final)
    {
        var d = c.DModel;
        var tq = a.QueryPositions;
        for (var n = 0; n < batch; n++)
            residPost.Slice((n * tq + tq - 1) * d, d).CopyTo(final.Slice(n * d, d));
    }
}
