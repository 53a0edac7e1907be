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
        Gemm.MultiplyTogether(
            new GemmCall(ws.FinalOut, ws.DLogits, grad.Unembed, c.DModel, c.DVocabOut, ws.Batch) { TransposeA = true, Accumulate = true },
            new GemmCall(ws.DLogits, w.Unembed, ws.DFinalOut, ws.Batch, c.DModel, c.DVocabOut) { TransposeB = true },
            threads);
        if (c.FinalNorm)
            FinalNorm.Backward(ws.Batch, c.DModel, ws.FinalIn, w.NormWeight, ws.InverseNorm, ws.DFinalOut, ws.DFinalIn, grad.NormWeight, threads);

        var last = ws.Blocks[^1];
        if (ws.DFinalIn != last.DResidPost)
        {
            Array.Clear(last.DResidPost);
            for (var n = 0; n < ws.Batch; n++)
                ws.DFinalIn.AsSpan(n * c.DModel, c.DModel).CopyTo(last.DResidPost.AsSpan((n * last.QueryPositions + last.QueryPositions - 1) * c.DModel, c.DModel));
        }

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
        Mlp.Backward(rowsQ, c.DModel, c.DMlp, a.ResidMid, weights.MlpIn, weights.MlpOut, a.Post, a.DResidPost,
            a.DHidden, a.DResidMid, g.MlpIn, g.MlpOut, threads);

        Gemm.MultiplyTogether(
            new GemmCall(a.Z, a.DResidMid, g.Output, width, c.DModel, rowsQ) { TransposeA = true, Accumulate = true },
            new GemmCall(a.DResidMid, weights.Output, a.DZ, rowsQ, width, c.DModel) { TransposeB = true },
            threads);
        var dims = new AttentionDims(batch, a.QueryPositions, c.NCtx, c.NHeads, c.DHead, a.QueryOffset);
        if (layer == 0)
        {
            AttentionMixing.Backward(dims, c.ScoreScale, a.Q, ws.KeyTable, ws.ValueTable, a.Pattern, a.DZ, a.DQ, a.DK, a.DV, threads, ws.TokenTableRows);
            // Block 0's input is the tables' embed rows, so nothing else adds to its residual gradient: DResidMid is it.
            ScatterIntoTables(ws, a, threads);
            TablesBackward(w, ws, grad, threads);
            return;
        }

        AttentionMixing.Backward(dims, c.ScoreScale, a.Q, a.K, a.V, a.Pattern, a.DZ, a.DQ, a.DK, a.DV, threads);
        a.DResidMid.CopyTo(a.DResidQuery, 0);

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
    /// Sums block 0's row gradients into its per-(position, token) table rows. The work comes in units of one table at
    /// one position (dK and dV at every position, dQ and the residual's gradient at the query positions); a worker
    /// takes a run of units and visits the batch once, in order, for all of them, so every table row is summed in the
    /// same order for any thread count. The units are listed source by source (dK, dQ, dV, the residual), so a
    /// worker's reads are a few sequential streams, and with the last position queried two workers get equal halves.
    /// </summary>
    private static void ScatterIntoTables(Workspace ws, BlockActivations a, int threads)
    {
        var c = ws.Config;
        Array.Clear(ws.DEmbedTable);
        Array.Clear(ws.DQueryTable);
        Array.Clear(ws.DKeyTable);
        Array.Clear(ws.DValueTable);
        var units = new List<ScatterUnit>();
        void AddUnits(float[] source, float[] table, int width, bool queryPositionsOnly)
        {
            for (var t = queryPositionsOnly ? a.QueryOffset : 0; t < c.NCtx; t++)
                units.Add(queryPositionsOnly
                    ? new ScatterUnit(source, a.QueryPositions, t - a.QueryOffset, table, width, t)
                    : new ScatterUnit(source, c.NCtx, t, table, width, t));
        }
        AddUnits(a.DK, ws.DKeyTable, c.AttentionWidth, queryPositionsOnly: false);
        AddUnits(a.DQ, ws.DQueryTable, c.AttentionWidth, queryPositionsOnly: true);
        AddUnits(a.DV, ws.DValueTable, c.AttentionWidth, queryPositionsOnly: false);
        AddUnits(a.DResidMid, ws.DEmbedTable, c.DModel, queryPositionsOnly: true);
        ParallelRows.For(units.Count, threads, (first, last) =>
        {
            for (var n = 0; n < ws.Batch; n++)
                for (var u = first; u < last; u++)
                {
                    var unit = units[u];
                    var to = unit.Table.AsSpan(ws.TokenTableRows[n * c.NCtx + unit.Position] * unit.Width, unit.Width);
                    TensorPrimitives.Add(to, unit.Source.AsSpan((n * unit.RowsPerSample + unit.Row) * unit.Width, unit.Width), to);
                }
        }, minRowsPerWorker: 1);
    }

    /// <summary>Source row Row of every sample's RowsPerSample rows, summed into Table at (Position, the sample's token).</summary>
    private readonly record struct ScatterUnit(float[] Source, int RowsPerSample, int Row, float[] Table, int Width, int Position);

    private static void TablesBackward(EffectiveWeights w, Workspace ws, EffectiveWeights grad, int threads)
    {
        var c = ws.Config;
        int rows = c.NCtx * c.DVocab, width = c.AttentionWidth, d = c.DModel;
        var weights = w.Blocks[0];
        var g = grad.Blocks[0];
        // The three tables' products side by side, as in the forward pass. Into the embed table's gradient that is one
        // chain over Q's, then K's, then V's columns: the same fused multiply-adds, in the same order, as three
        // accumulating products one after the other.
        ColumnBlocks.Join([weights.Query, weights.Key, weights.Value], d, width, ws.QkvWeights);
        ColumnBlocks.Join([ws.DQueryTable, ws.DKeyTable, ws.DValueTable], rows, width, ws.DQkvTable);
        ColumnBlocks.Join([g.Query, g.Key, g.Value], d, width, ws.QkvGradient);
        Gemm.MultiplyTogether(
            new GemmCall(ws.EmbedTable, ws.DQkvTable, ws.QkvGradient, d, 3 * width, rows) { TransposeA = true, Accumulate = true },
            new GemmCall(ws.DQkvTable, ws.QkvWeights, ws.DEmbedTable, rows, d, 3 * width) { TransposeB = true, Accumulate = true },
            threads);
        ColumnBlocks.Split(ws.QkvGradient, d, width, [g.Query, g.Key, g.Value]);
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
