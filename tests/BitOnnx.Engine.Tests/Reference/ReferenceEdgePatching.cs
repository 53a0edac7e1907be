using BitOnnx.Core.Circuits;
using BitOnnx.Core.Model;

namespace BitOnnx.Engine.Tests.Reference;

/// <summary>
/// An independent double-precision edge-patched forward pass, one row at a time, every position of every block, weights
/// in TransformerLens layout. The residual stream is written as a sum of senders, each living at its own positions: the
/// token and positional embedding at position p (zero elsewhere), each head's output z·W_O[head] and each MLP's output at
/// every position. A receiver's input is Σ over the senders computed before its node of clean + α·(corrupted − clean)
/// (plus an optional delta), α taken from the graph's edge between them and 0 where the graph has none (a position the
/// receiver's node does not pass on to the logits). Nothing is shared with the engine but the graph's edge names.
/// Sender outputs: name → [rows, T, dModel].
/// </summary>
public static class ReferenceEdgePatching
{
    public sealed record Result(double[] Logits, Dictionary<string, double[]> Senders);

    /// <param name="alpha">Each edge's mask by <see cref="CircuitEdge.Index"/>; null for all 0.</param>
    /// <param name="corrupted">The corrupted sender outputs; only read where a mask is not 0.</param>
    /// <param name="deltas">Receiver name → [rows, T, dModel] added to its input.</param>
    public static Result Run(TransformerConfig c, Dictionary<string, double[]> w, int[] tokens, double[]? alpha = null,
        Dictionary<string, double[]>? corrupted = null, Dictionary<string, double[]>? deltas = null)
    {
        var graph = CircuitGraph.Of(c);
        int t = c.NCtx, d = c.DModel, h = c.NHeads, e = c.DHead, m = c.DMlp, rows = tokens.Length / t;
        var scale = c.AttentionScale == AttentionScale.InverseSqrtDHead ? 1 / Math.Sqrt(e) : 1 / Math.Sqrt(d);
        // Receiver → sender → mask, looked up per row.
        var masks = graph.Receivers.ToDictionary(r => r.Name, r => graph.Into(r).ToDictionary(e => e.Sender.Name, e => alpha?[e.Index] ?? 0));
        var senders = new Dictionary<string, double[]>();
        var logits = new double[rows * c.DVocabOut];
        double[] Sender(string name) => senders.TryGetValue(name, out var s) ? s : senders[name] = new double[rows * t * d];

        for (var n = 0; n < rows; n++)
        {
            var before = new List<string>();
            double[] Input(string receiver)
            {
                var x = new double[t * d];
                var mask = masks[receiver];
                foreach (var sender in before)
                {
                    var a = mask.GetValueOrDefault(sender);
                    var (clean, other) = (senders[sender], a == 0 ? null : corrupted![sender]);
                    for (var i = 0; i < x.Length; i++)
                    {
                        var value = clean[n * t * d + i];
                        x[i] += a == 0 ? value : value + a * (other![n * t * d + i] - value);
                    }
                }
                if (deltas is not null && deltas.TryGetValue(receiver, out var delta))
                    for (var i = 0; i < x.Length; i++) x[i] += delta[n * t * d + i];
                return x;
            }
            void Write(string sender, double[] output)
            {
                output.CopyTo(Sender(sender), n * t * d);
                if (!before.Contains(sender)) before.Add(sender);
            }

            for (var p = 0; p < t; p++)
            {
                var embed = new double[t * d];
                var pos = new double[t * d];
                for (var i = 0; i < d; i++)
                {
                    embed[p * d + i] = w[ParameterNames.Embed][tokens[n * t + p] * d + i];
                    if (c.PositionalEmbedding) pos[p * d + i] = w[ParameterNames.PosEmbed][p * d + i];
                }
                Write($"embed[pos={p}]", embed);
                if (c.PositionalEmbedding) Write($"pos_embed[pos={p}]", pos);
            }

            for (var l = 0; l < c.NLayers; l++)
            {
                var outputs = new List<(string, double[])>();
                for (var head = 0; head < h; head++)
                {
                    var node = $"blocks.{l}.attn.head{head}";
                    double[] Project(string receiver, string weight)
                    {
                        var x = Input(receiver);
                        var wt = w[weight]; // [heads, dModel, dHead]
                        var result = new double[t * e];
                        for (var p = 0; p < t; p++)
                            for (var j = 0; j < e; j++)
                                for (var i = 0; i < d; i++) result[p * e + j] += x[p * d + i] * wt[(head * d + i) * e + j];
                        return result;
                    }
                    var q = Project(node + ".q", ParameterNames.Query(l));
                    var k = Project(node + ".k", ParameterNames.Key(l));
                    var v = Project(node + ".v", ParameterNames.Value(l));
                    var z = new double[t * e];
                    for (var p = 0; p < t; p++)
                    {
                        var visible = c.CausalMask ? p + 1 : t;
                        var scores = new double[visible];
                        for (var s = 0; s < visible; s++)
                            for (var j = 0; j < e; j++) scores[s] += q[p * e + j] * k[s * e + j] * scale;
                        var max = scores.Max();
                        var weights = scores.Select(x => Math.Exp(x - max)).ToArray();
                        var sum = weights.Sum();
                        for (var s = 0; s < visible; s++)
                            for (var j = 0; j < e; j++) z[p * e + j] += weights[s] / sum * v[s * e + j];
                    }
                    var output = new double[t * d];
                    var wo = w[ParameterNames.Output(l)]; // [heads, dHead, dModel]
                    for (var p = 0; p < t; p++)
                        for (var i = 0; i < d; i++)
                            for (var j = 0; j < e; j++) output[p * d + i] += z[p * e + j] * wo[(head * e + j) * d + i];
                    outputs.Add((node, output));
                }
                // Heads read the stream before any head of their block has written.
                foreach (var (node, output) in outputs) Write(node, output);

                var mlpIn = Input($"blocks.{l}.mlp");
                var pre = new double[t * m];
                for (var p = 0; p < t; p++)
                    for (var u = 0; u < m; u++)
                        for (var i = 0; i < d; i++) pre[p * m + u] += mlpIn[p * d + i] * w[ParameterNames.MlpIn(l)][i * m + u];
                var mlpOut = new double[t * d];
                for (var p = 0; p < t; p++)
                    for (var i = 0; i < d; i++)
                        for (var u = 0; u < m; u++) mlpOut[p * d + i] += Math.Max(pre[p * m + u], 0) * w[ParameterNames.MlpOut(l)][u * d + i];
                Write($"blocks.{l}.mlp", mlpOut);
            }

            var final = Input("logits").AsSpan((t - 1) * d, d).ToArray();
            if (c.FinalNorm)
            {
                var norm = Math.Max(Math.Sqrt(final.Sum(x => x * x)), 1e-12);
                for (var i = 0; i < d; i++) final[i] = final[i] / norm * w[ParameterNames.FinalNormWeight][i] * Math.Sqrt(d);
            }
            for (var o = 0; o < c.DVocabOut; o++)
                for (var i = 0; i < d; i++) logits[n * c.DVocabOut + o] += final[i] * w[ParameterNames.Unembed][i * c.DVocabOut + o];
        }
        return new Result(logits, senders);
    }

    /// <summary>Each sender's mean over the rows at each position and element: mean ablation's corrupted outputs.</summary>
    public static Dictionary<string, double[]> Means(Dictionary<string, double[]> senders, int rows) => senders.ToDictionary(s => s.Key, s =>
    {
        var size = s.Value.Length / rows;
        var mean = new double[s.Value.Length];
        for (var i = 0; i < size; i++)
        {
            var sum = 0.0;
            for (var r = 0; r < rows; r++) sum += s.Value[r * size + i];
            for (var r = 0; r < rows; r++) mean[r * size + i] = sum / rows;
        }
        return mean;
    });

    /// <summary>Mean over rows of KL(softmax(clean) ‖ softmax(logits)), both [rows, classes].</summary>
    public static double KlDivergence(double[] clean, double[] logits, int classes)
    {
        var rows = clean.Length / classes;
        double total = 0;
        for (var n = 0; n < rows; n++)
        {
            double[] LogSoftmax(double[] x)
            {
                var row = x.AsSpan(n * classes, classes).ToArray();
                var max = row.Max();
                var log = Math.Log(row.Sum(v => Math.Exp(v - max))) + max;
                return row.Select(v => v - log).ToArray();
            }
            double[] p = LogSoftmax(clean), q = LogSoftmax(logits);
            for (var k = 0; k < classes; k++) total += Math.Exp(p[k]) * (p[k] - q[k]);
        }
        return total / rows;
    }
}
