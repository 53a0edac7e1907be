using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;

namespace BitOnnx.Engine.Tests.Reference;

/// <summary>
/// An edit of one hook in <see cref="ReferenceHookedTransformer"/>: H' = Mask ? Values : H elementwise, then H' + Delta.
/// Mask is one row (broadcast over rows); Values and Delta are [rows, row size]. A delta after the write is how finite
/// differences perturb the value a hook passes on.
/// </summary>
public sealed record ReferenceEdit(bool[]? Mask = null, double[]? Values = null, double[]? Delta = null)
{
    /// <summary>A write's mask and values, in double.</summary>
    public static ReferenceEdit Write(HookWrite write) =>
        new(Array.ConvertAll(write.Mask, m => m != 0), Array.ConvertAll(write.Values, v => (double)v));
}

/// <summary>
/// An independent double-precision forward pass written from docs/recipe.md and TransformerLens' hook points, one row
/// at a time, every position of every block, weights read in TransformerLens layout. Every hook is kept, and an edit
/// (<see cref="ReferenceEdit"/>) of a hook is made as soon as the hook is computed, so everything after sees it. It
/// shares nothing with the engine; it takes the weights the forward pass uses (already quantized).
/// Hooks per row: embed, resid, attn_out, mlp_out [T, dModel]; q, k, v, z [T, heads, dHead]; scores, pattern
/// [heads, T, T] (masked scores −∞); pre, post [T, dMlp]; logits [P] at the last position.
/// </summary>
public static class ReferenceHookedTransformer
{
    public static Dictionary<string, double[]> Run(TransformerConfig c, ParameterSet layout, Dictionary<string, double[]> w,
        int[] tokens, IReadOnlyDictionary<string, ReferenceEdit>? edits = null)
    {
        int t = c.NCtx, d = c.DModel, h = c.NHeads, e = c.DHead, m = c.DMlp, rows = tokens.Length / t;
        var hooks = HookNames.For(c, rows).ToDictionary(x => x.Name, x => new double[x.Shape.Size]);
        var scale = c.AttentionScale == AttentionScale.InverseSqrtDHead ? 1 / Math.Sqrt(e) : 1 / Math.Sqrt(d);

        for (var n = 0; n < rows; n++)
        {
            double[] Hook(string name, double[] row)
            {
                if (edits is not null && edits.TryGetValue(name, out var edit))
                    for (var i = 0; i < row.Length; i++)
                    {
                        if (edit.Mask is { } mask && mask[i]) row[i] = edit.Values![n * row.Length + i];
                        if (edit.Delta is { } delta) row[i] += delta[n * row.Length + i];
                    }
                row.CopyTo(hooks[name], n * row.Length);
                return row;
            }

            var embed = new double[t * d];
            var pos = new double[t * d];
            for (var p = 0; p < t; p++)
                for (var i = 0; i < d; i++)
                {
                    embed[p * d + i] = w[ParameterNames.Embed][tokens[n * t + p] * d + i];
                    if (c.PositionalEmbedding) pos[p * d + i] = w[ParameterNames.PosEmbed][p * d + i];
                }
            Hook(HookNames.Embed, embed);
            if (c.PositionalEmbedding) Hook(HookNames.PosEmbed, pos);
            var x = new double[t * d];
            for (var i = 0; i < x.Length; i++) x[i] = embed[i] + pos[i];

            for (var l = 0; l < c.NLayers; l++)
            {
                x = Hook(HookNames.ResidPre(l), x);
                double[] Project(string weight)
                {
                    var wt = w[weight]; // [heads, dModel, dHead]
                    var result = new double[t * h * e];
                    for (var p = 0; p < t; p++)
                        for (var head = 0; head < h; head++)
                            for (var j = 0; j < e; j++)
                                for (var i = 0; i < d; i++)
                                    result[(p * h + head) * e + j] += x[p * d + i] * wt[(head * d + i) * e + j];
                    return result;
                }
                var q = Hook(HookNames.Q(l), Project(ParameterNames.Query(l)));
                var k = Hook(HookNames.K(l), Project(ParameterNames.Key(l)));
                var v = Hook(HookNames.V(l), Project(ParameterNames.Value(l)));

                var scores = new double[h * t * t];
                for (var head = 0; head < h; head++)
                    for (var p = 0; p < t; p++)
                        for (var s = 0; s < t; s++)
                        {
                            var at = (head * t + p) * t + s;
                            if (c.CausalMask && s > p) { scores[at] = double.NegativeInfinity; continue; }
                            for (var j = 0; j < e; j++) scores[at] += q[(p * h + head) * e + j] * k[(s * h + head) * e + j] * scale;
                        }
                scores = Hook(HookNames.AttnScores(l), scores);
                var pattern = new double[scores.Length];
                for (var row = 0; row < h * t; row++)
                {
                    var max = double.NegativeInfinity;
                    for (var s = 0; s < t; s++) max = Math.Max(max, scores[row * t + s]);
                    double sum = 0;
                    for (var s = 0; s < t; s++) sum += pattern[row * t + s] = Math.Exp(scores[row * t + s] - max);
                    for (var s = 0; s < t; s++) pattern[row * t + s] /= sum;
                }
                pattern = Hook(HookNames.Pattern(l), pattern);

                var z = new double[t * h * e];
                for (var p = 0; p < t; p++)
                    for (var head = 0; head < h; head++)
                        for (var j = 0; j < e; j++)
                            for (var s = 0; s < t; s++)
                                z[(p * h + head) * e + j] += pattern[(head * t + p) * t + s] * v[(s * h + head) * e + j];
                z = Hook(HookNames.Z(l), z);
                var attnOut = new double[t * d];
                var wo = w[ParameterNames.Output(l)]; // [heads, dHead, dModel]
                for (var p = 0; p < t; p++)
                    for (var i = 0; i < d; i++)
                        for (var head = 0; head < h; head++)
                            for (var j = 0; j < e; j++)
                                attnOut[p * d + i] += z[(p * h + head) * e + j] * wo[(head * e + j) * d + i];
                attnOut = Hook(HookNames.AttnOut(l), attnOut);
                var mid = new double[t * d];
                for (var i = 0; i < mid.Length; i++) mid[i] = x[i] + attnOut[i];
                mid = Hook(HookNames.ResidMid(l), mid);

                var pre = new double[t * m];
                var wIn = w[ParameterNames.MlpIn(l)]; // [dModel, dMlp]
                for (var p = 0; p < t; p++)
                    for (var u = 0; u < m; u++)
                        for (var i = 0; i < d; i++)
                            pre[p * m + u] += mid[p * d + i] * wIn[i * m + u];
                pre = Hook(HookNames.MlpPre(l), pre);
                var post = Hook(HookNames.MlpPost(l), Array.ConvertAll(pre, a => Math.Max(a, 0)));
                var mlpOut = new double[t * d];
                var wOut = w[ParameterNames.MlpOut(l)]; // [dMlp, dModel]
                for (var p = 0; p < t; p++)
                    for (var i = 0; i < d; i++)
                        for (var u = 0; u < m; u++)
                            mlpOut[p * d + i] += post[p * m + u] * wOut[u * d + i];
                mlpOut = Hook(HookNames.MlpOut(l), mlpOut);
                var residPost = new double[t * d];
                for (var i = 0; i < residPost.Length; i++) residPost[i] = mid[i] + mlpOut[i];
                x = (double[])Hook(HookNames.ResidPost(l), residPost).Clone();
            }

            if (c.FinalNorm)
            {
                var normalized = new double[t * d];
                for (var p = 0; p < t; p++)
                {
                    double squares = 0;
                    for (var i = 0; i < d; i++) squares += x[p * d + i] * x[p * d + i];
                    var norm = Math.Max(Math.Sqrt(squares), 1e-12);
                    for (var i = 0; i < d; i++)
                        normalized[p * d + i] = x[p * d + i] / norm * w[ParameterNames.FinalNormWeight][i] * Math.Sqrt(d);
                }
                x = Hook(HookNames.FinalNormalized, normalized);
            }
            var logits = new double[c.DVocabOut];
            var wU = w[ParameterNames.Unembed]; // [dModel, P]
            for (var o = 0; o < logits.Length; o++)
                for (var i = 0; i < d; i++)
                    logits[o] += x[(t - 1) * d + i] * wU[i * c.DVocabOut + o];
            Hook(HookNames.Logits, logits);
        }
        return hooks;
    }

    /// <summary>Mean over rows of −log softmax(logits)[target], from logits [rows, classes].</summary>
    public static double CrossEntropy(double[] logits, int[] targets, int classes)
    {
        double total = 0;
        for (var n = 0; n < targets.Length; n++)
        {
            var row = logits.AsSpan(n * classes, classes);
            var max = double.NegativeInfinity;
            foreach (var value in row) max = Math.Max(max, value);
            double sum = 0;
            foreach (var value in row) sum += Math.Exp(value - max);
            total += max + Math.Log(sum) - row[targets[n]];
        }
        return total / targets.Length;
    }

    /// <summary>Mean over rows of logit[a] − logit[b].</summary>
    public static double LogitDifference(double[] logits, int[] a, int[] b, int classes)
    {
        double total = 0;
        for (var n = 0; n < a.Length; n++) total += logits[n * classes + a[n]] - logits[n * classes + b[n]];
        return total / a.Length;
    }
}
