using BitOnnx.Core.Model;

namespace BitOnnx.Engine.Tests.Reference;

/// <summary>
/// An independent, plain double-precision forward pass written straight from docs/recipe.md: every position of every
/// block, weights read in TransformerLens layout, no tables and no last-position shortcut. It takes the weights the
/// forward pass uses (already quantized), so finite differences of it are the gradient with respect to those weights.
/// </summary>
public static class ReferenceTransformer
{
    /// <summary>Weights in double, by TransformerLens name, with the shapes of <paramref name="layout"/>.</summary>
    public static Dictionary<string, double[]> ToDouble(ParameterSet layout) =>
        layout.Entries.ToDictionary(e => e.Name, e => Array.ConvertAll(layout.Slice(e).ToArray(), v => (double)v));

    public static double Loss(TransformerConfig c, ParameterSet layout, Dictionary<string, double[]> w, int[] tokens, int[] targets)
    {
        var logits = Logits(c, layout, w, tokens);
        var batch = targets.Length;
        double total = 0;
        for (var n = 0; n < batch; n++)
        {
            var row = logits[n];
            var max = row.Max();
            var lse = max + Math.Log(row.Sum(x => Math.Exp(x - max)));
            total += lse - row[targets[n]];
        }
        return total / batch;
    }

    /// <summary>Last-position logits [batch][P].</summary>
    public static double[][] Logits(TransformerConfig c, ParameterSet layout, Dictionary<string, double[]> w, int[] tokens)
    {
        int t = c.NCtx, d = c.DModel, h = c.NHeads, e = c.DHead, m = c.DMlp, batch = tokens.Length / t;
        double W(string name, params int[] index)
        {
            var shape = layout.Info(name).Shape;
            var flat = 0;
            for (var i = 0; i < index.Length; i++) flat = flat * shape[i] + index[i];
            return w[name][flat];
        }

        var result = new double[batch][];
        for (var n = 0; n < batch; n++)
        {
            var x = new double[t, d];
            for (var p = 0; p < t; p++)
                for (var i = 0; i < d; i++)
                    x[p, i] = W(ParameterNames.Embed, tokens[n * t + p], i) + (c.PositionalEmbedding ? W(ParameterNames.PosEmbed, p, i) : 0);

            for (var l = 0; l < c.NLayers; l++)
            {
                var q = new double[h, t, e];
                var k = new double[h, t, e];
                var v = new double[h, t, e];
                for (var head = 0; head < h; head++)
                    for (var p = 0; p < t; p++)
                        for (var j = 0; j < e; j++)
                            for (var i = 0; i < d; i++)
                            {
                                q[head, p, j] += x[p, i] * W(ParameterNames.Query(l), head, i, j);
                                k[head, p, j] += x[p, i] * W(ParameterNames.Key(l), head, i, j);
                                v[head, p, j] += x[p, i] * W(ParameterNames.Value(l), head, i, j);
                            }
                var scale = c.AttentionScale == AttentionScale.InverseSqrtDHead ? 1 / Math.Sqrt(e) : 1 / Math.Sqrt(d);
                var attnOut = new double[t, d];
                for (var head = 0; head < h; head++)
                    for (var p = 0; p < t; p++)
                    {
                        var scores = new double[t];
                        for (var s = 0; s < t; s++)
                        {
                            if (c.CausalMask && s > p) { scores[s] = double.NegativeInfinity; continue; }
                            for (var j = 0; j < e; j++) scores[s] += q[head, p, j] * k[head, s, j] * scale;
                        }
                        var max = scores.Max();
                        var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                        var sum = weights.Sum();
                        for (var j = 0; j < e; j++)
                        {
                            double z = 0;
                            for (var s = 0; s < t; s++) z += weights[s] / sum * v[head, s, j];
                            for (var i = 0; i < d; i++) attnOut[p, i] += z * W(ParameterNames.Output(l), head, j, i);
                        }
                    }
                for (var p = 0; p < t; p++)
                {
                    var mid = new double[d];
                    for (var i = 0; i < d; i++) mid[i] = x[p, i] + attnOut[p, i];
                    var post = new double[m];
                    for (var u = 0; u < m; u++)
                    {
                        double pre = 0;
                        for (var i = 0; i < d; i++) pre += mid[i] * W(ParameterNames.MlpIn(l), i, u);
                        post[u] = Math.Max(pre, 0);
                    }
                    for (var i = 0; i < d; i++)
                    {
                        double o = 0;
                        for (var u = 0; u < m; u++) o += post[u] * W(ParameterNames.MlpOut(l), u, i);
                        x[p, i] = mid[i] + o;
                    }
                }
            }

            var final = new double[d];
            for (var i = 0; i < d; i++) final[i] = x[t - 1, i];
            if (c.FinalNorm)
            {
                var norm = Math.Max(Math.Sqrt(final.Sum(f => f * f)), 1e-12);
                for (var i = 0; i < d; i++) final[i] = final[i] / norm * W(ParameterNames.FinalNormWeight, i) * Math.Sqrt(d);
            }
            result[n] = new double[c.DVocabOut];
            for (var o = 0; o < c.DVocabOut; o++)
                for (var i = 0; i < d; i++)
                    result[n][o] += final[i] * W(ParameterNames.Unembed, i, o);
        }
        return result;
    }
}
