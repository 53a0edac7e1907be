using BitOnnx.Core.Circuits;
using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;
using BitOnnx.Engine.Hooks;
using BitOnnx.Engine.Kernels;

namespace BitOnnx.Engine.Circuits;

/// <summary>
/// Edge attribution patching. EAP (Syed, Rager and Conmy 2023, arXiv 2310.10348): the effect of corrupting edge S → R
/// alone is estimated to first order as (a_S,corrupted − a_S,clean) · ∂metric/∂(input of R) at the clean run, summed
/// over rows and the positions where S reaches R; every edge from one clean pass, one corrupted pass and one backward
/// pass. It is the derivative of the metric along the edge's mask at α = 0 (<see cref="EdgePatchedRun"/>). At the
/// clean run the KL divergence from the clean run is at its minimum, so its gradient, and every EAP score of it, is 0.
/// EAP-IG (Hanna, Pezzelle and Belinkov 2024, arXiv 2403.17806): the same difference times the gradient averaged over
/// k runs whose input embeddings are interpolated from clean towards corrupted, at α = 1/k, 2/k, ..., 1 (their
/// Riemann sum over the path, taken from the corrupted end); the gradients are the hooked model's backward pass.
/// </summary>
public static class EdgeAttribution
{
    /// <summary>EAP's score of every edge, by <see cref="CircuitEdge.Index"/>.</summary>
    public static double[] Eap(EdgePatching patching, LogitMetric metric)
    {
        var deltas = Deltas(patching);
        return Scores(patching, deltas, patching.Model.Backward(patching.Clean, metric));
    }

    /// <summary>EAP-IG's score of every edge with <paramref name="steps"/> points on the path.</summary>
    /// <param name="progress">Reports the fraction of points done.</param>
    public static double[] EapIg(EdgePatching patching, LogitMetric metric, int steps = 5, IProgress<double>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var c = patching.Config;
        var deltas = Deltas(patching);
        var total = new double[patching.Graph.Edges.Count];
        for (var k = 1; k <= steps; k++)
        {
            var alpha = (float)k / steps;
            var writes = new List<HookWrite> { Interpolated(c, HookNames.Embed, patching.CleanValues.Embed, patching.CorruptValues.Embed, alpha) };
            if (c.PositionalEmbedding) writes.Add(Interpolated(c, HookNames.PosEmbed, patching.CleanValues.PosEmbed, patching.CorruptValues.PosEmbed, alpha));
            var run = patching.Model.Run(patching.Tokens, writes);
            var scores = Scores(patching, deltas, patching.Model.Backward(run, metric));
            for (var e = 0; e < total.Length; e++) total[e] += scores[e];
            progress?.Report((double)k / steps);
        }
        for (var e = 0; e < total.Length; e++) total[e] /= steps;
        return total;
    }

    /// <summary>hook = clean + α·(corrupted − clean) at every element, as a write of the whole hook.</summary>
    private static HookWrite Interpolated(TransformerConfig c, string hook, float[] clean, float[] corrupted, float alpha)
    {
        var layout = HookLayout.Of(c, hook);
        var mask = new float[layout.RowSize];
        Array.Fill(mask, 1f);
        var values = new float[clean.Length];
        for (var i = 0; i < values.Length; i++) values[i] = clean[i] + alpha * (corrupted[i] - clean[i]);
        return new HookWrite(layout, mask, values);
    }

    /// <summary>Per sender, corrupted − clean output in double, laid out as <see cref="SenderValues"/> keeps it; a head's through its rows of W_O.</summary>
    private static Dictionary<CircuitSender, double[]> Deltas(EdgePatching patching)
    {
        var c = patching.Config;
        var (clean, corrupt) = (patching.CleanValues, patching.CorruptValues);
        var deltas = new Dictionary<CircuitSender, double[]>();
        static double[] Difference(float[] corrupted, float[] clean)
        {
            var difference = new double[clean.Length];
            for (var i = 0; i < difference.Length; i++) difference[i] = (double)corrupted[i] - clean[i];
            return difference;
        }
        float[] Output(float[] z, int l, int h)
        {
            var n = z.Length / c.DHead;
            var output = new float[n * c.DModel];
            var rows = patching.Weights.All.Blocks[l].Output.AsSpan(h * c.DHead * c.DModel, c.DHead * c.DModel);
            Gemm.Multiply(z, rows, output, n, c.DModel, c.DHead, threads: patching.Threads);
            return output;
        }
        // One group of an MLP's neurons: its columns of the activations through its rows of W_out.
        float[] GroupOutput(float[] post, int l, int g)
        {
            var neurons = patching.Graph.MlpNeurons(g);
            var count = neurons.Count;
            var columns = SenderValues.Columns(post, c.DMlp, neurons, 1, 0);
            var n = columns.Length / count;
            var output = new float[n * c.DModel];
            var rows = SenderValues.Rows(patching.Weights.All.Blocks[l].MlpOut, c.DModel, neurons);
            Gemm.Multiply(columns, rows, output, n, c.DModel, count, threads: patching.Threads);
            return output;
        }
        var embed = Difference(corrupt.Embed, clean.Embed);
        var pos = c.PositionalEmbedding ? Difference(corrupt.PosEmbed, clean.PosEmbed) : [];
        foreach (var sender in patching.Graph.Senders)
            deltas[sender] = sender.Kind switch
            {
                SenderKind.Embed => embed,
                SenderKind.PosEmbed => pos,
                SenderKind.Head => Difference(Output(corrupt.Z[sender.Layer][sender.Head], sender.Layer, sender.Head),
                    Output(clean.Z[sender.Layer][sender.Head], sender.Layer, sender.Head)),
                _ when sender.Group is { } g => Difference(GroupOutput(corrupt.Post![sender.Layer], sender.Layer, g), GroupOutput(clean.Post![sender.Layer], sender.Layer, g)),
                _ => Difference(corrupt.MlpOut[sender.Layer], clean.MlpOut[sender.Layer]),
            };
        return deltas;
    }

    /// <summary>Σ delta · gradient of every edge, each edge's sum in a fixed order by one worker.</summary>
    private static double[] Scores(EdgePatching patching, Dictionary<CircuitSender, double[]> deltas, HookTensors gradients)
    {
        var c = patching.Config;
        var graph = patching.Graph;
        var atInputs = graph.Receivers.ToDictionary(r => r, r => InputGradient(patching, gradients, r));
        var scores = new double[graph.Edges.Count];
        int t = c.NCtx, d = c.DModel, last = c.NLayers - 1;
        ParallelRows.For(scores.Length, patching.Threads, (first, end) =>
        {
            for (var e = first; e < end; e++)
            {
                var (sender, receiver) = (graph.Edges[e].Sender, graph.Edges[e].Receiver);
                var every = graph.ReadsEveryPosition(receiver);
                var embedding = sender.Kind is SenderKind.Embed or SenderKind.PosEmbed;
                var perRow = embedding || sender.Layer < last ? t : 1;
                var (delta, gradient) = (deltas[sender], atInputs[receiver]);
                var sum = 0.0;
                for (var i = 0; i < gradient.Length / d; i++)
                {
                    if (embedding && (every ? i % t : t - 1) != sender.Position) continue;
                    var from = (every || perRow == 1 ? i : i * t + t - 1) * d;
                    for (var j = 0; j < d; j++) sum += delta[from + j] * gradient[i * d + j];
                }
                scores[e] = sum;
            }
        }, minRowsPerWorker: 1);
        return scores;
    }

    /// <summary>
    /// ∂metric/∂(input of <paramref name="receiver"/>) [n, dModel] at the positions it reads (n as for its input), from
    /// the hook gradients: a head's q, k or v gradient times its W_Qᵀ, W_Kᵀ or W_Vᵀ; the MLP's hook_pre gradient times
    /// W_inᵀ (a group of its neurons: their columns of both); for the logits, the last block's resid_post gradient.
    /// </summary>
    private static float[] InputGradient(EdgePatching patching, HookTensors gradients, CircuitReceiver receiver)
    {
        var c = patching.Config;
        int t = c.NCtx, d = c.DModel, threads = patching.Threads;
        var every = patching.Graph.ReadsEveryPosition(receiver);
        var (step, position) = every ? (1, 0) : (t, t - 1);
        float[] Back(float[] gradient, int stride, int from, int width, float[] weight) =>
            Times(SenderValues.Columns(gradient, stride, from, width, step, position), width, weight);
        float[] Times(float[] rows, int width, float[] weight)
        {
            var n = rows.Length / width;
            var input = new float[n * d];
            Gemm.Multiply(rows, weight, input, n, d, width, transposeB: true, threads: threads);
            return input;
        }
        var (l, h, w, e) = (receiver.Layer, receiver.Head, patching.Weights, c.DHead);
        return receiver.Kind switch
        {
            ReceiverKind.Query => Back(gradients[HookNames.Q(l)].Data, c.AttentionWidth, h * e, e, w.Query[l][h]),
            ReceiverKind.Key => Back(gradients[HookNames.K(l)].Data, c.AttentionWidth, h * e, e, w.Key[l][h]),
            ReceiverKind.Value => Back(gradients[HookNames.V(l)].Data, c.AttentionWidth, h * e, e, w.Value[l][h]),
            ReceiverKind.Mlp when receiver.Group is { } g => Times(SenderValues.Columns(gradients[HookNames.MlpPre(l)].Data, c.DMlp,
                patching.Graph.MlpNeurons(g), step, position), patching.Graph.MlpNeurons(g).Count, w.MlpIn[l][g]),
            ReceiverKind.Mlp => Back(gradients[HookNames.MlpPre(l)].Data, c.DMlp, 0, c.DMlp, w.All.Blocks[l].MlpIn),
            _ => SenderValues.Columns(gradients[HookNames.ResidPost(l)].Data, d, 0, d, t, t - 1),
        };
    }
}
