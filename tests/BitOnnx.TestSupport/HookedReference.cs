using BitOnnx.Core.Interventions;
using BitOnnx.Core.Model;

namespace BitOnnx.TestSupport;

/// <summary>
/// An independent double-precision forward pass written straight from docs/recipe.md, one sequence at a time, every
/// position of every block, with a hook point at every TransformerLens hook: each activation, one row in the layout
/// HookNames.For gives it ([pos, d_model], [pos, head, d_head], [head, dest, src], [pos, d_mlp], [P] for the logits), is
/// handed to a callback that may change it in place before the pass reads it. It takes the weights the forward pass
/// uses (already quantized), so a write or a finite difference at a hook is exactly that and nothing else. It shares
/// nothing with the engine or TorchSharp: the engine's, TorchSharp's and the interventions' tests all hold to it.
/// </summary>
public sealed class HookedReference
{
    /// <summary>Sees (and may change) one row of <paramref name="hook"/> before the rest of the pass reads it.</summary>
    public delegate void HookPoint(string hook, double[] row);

    private readonly TransformerConfig _c;
    private readonly Dictionary<string, double[]> _w;

    /// <param name="effective">The weights as the forward pass multiplies by them, in TransformerLens layout.</param>
    public HookedReference(TransformerConfig c, ParameterSet effective)
        : this(c, effective.Entries.ToDictionary(e => e.Name, e => Array.ConvertAll(effective.Slice(e).ToArray(), v => (double)v)))
    {
    }

    /// <param name="weights">The same, by parameter name, in double.</param>
    public HookedReference(TransformerConfig c, Dictionary<string, double[]> weights)
    {
        _c = c;
        _w = weights;
    }

    /// <summary>
    /// Every hook of the batch <paramref name="tokens"/> [rows, n_ctx] with <paramref name="writes"/> applied as
    /// HookWrite.ApplyTo defines them (H' = M ? V : H), each hook's rows one after another as HookNames.For lays them out.
    /// </summary>
    public Dictionary<string, double[]> Run(int[] tokens, IReadOnlyList<HookWrite> writes)
    {
        var t = _c.NCtx;
        var rows = tokens.Length / t;
        var result = new Dictionary<string, double[]>();
        for (var r = 0; r < rows; r++)
        {
            var row = r;
            Row(tokens.AsSpan(r * t, t), Applying(writes, r, (hook, values) =>
            {
                if (!result.TryGetValue(hook, out var all)) result[hook] = all = new double[rows * values.Length];
                values.CopyTo(all, row * values.Length);
            }));
        }
        return result;
    }

    /// <summary>A hook point that applies the writes' values of batch row <paramref name="row"/>, then hands the row on.</summary>
    public static HookPoint Applying(IReadOnlyList<HookWrite> writes, int row, HookPoint? then = null) => (hook, values) =>
    {
        foreach (var write in writes)
            if (write.Hook == hook)
                for (var i = 0; i < values.Length; i++)
                    if (write.Mask[i] != 0) values[i] = write.Values[row * values.Length + i];
        then?.Invoke(hook, values);
    };

    /// <summary>The logits [P] of one sequence, every activation passing through <paramref name="at"/> on the way.</summary>
    public double[] Row(ReadOnlySpan<int> tokens, HookPoint at)
    {
        var c = _c;
        int t = c.NCtx, d = c.DModel;
        var embed = new double[t * d];
        for (var p = 0; p < t; p++) Array.Copy(_w[ParameterNames.Embed], tokens[p] * d, embed, p * d, d);
        at(HookNames.Embed, embed);
        var x = (double[])embed.Clone();
        if (c.PositionalEmbedding)
        {
            var pos = (double[])_w[ParameterNames.PosEmbed].Clone();
            at(HookNames.PosEmbed, pos);
            for (var i = 0; i < x.Length; i++) x[i] += pos[i];
        }
        for (var l = 0; l < c.NLayers; l++) x = Block(l, x, at);
        if (c.FinalNorm)
        {
            var gain = _w[ParameterNames.FinalNormWeight];
            for (var p = 0; p < t; p++)
            {
                double squares = 0;
                for (var i = 0; i < d; i++) squares += x[p * d + i] * x[p * d + i];
                var norm = Math.Max(Math.Sqrt(squares), 1e-12);
                for (var i = 0; i < d; i++) x[p * d + i] = x[p * d + i] / norm * gain[i] * Math.Sqrt(d);
            }
            at(HookNames.FinalNormalized, x);
        }
        var logits = new double[c.DVocabOut];
        var unembed = _w[ParameterNames.Unembed];
        for (var o = 0; o < logits.Length; o++)
            for (var i = 0; i < d; i++) logits[o] += x[(t - 1) * d + i] * unembed[i * c.DVocabOut + o];
        at(HookNames.Logits, logits);
        return logits;
    }

    /// <summary>One block on the residual stream [pos, d_model]; returns the stream after it.</summary>
    private double[] Block(int l, double[] residPre, HookPoint at)
    {
        var c = _c;
        int t = c.NCtx, d = c.DModel, h = c.NHeads, e = c.DHead, m = c.DMlp;
        at(HookNames.ResidPre(l), residPre);
        // q, k, v [pos, head, d_head] from W [head, d_model, d_head].
        double[] Project(double[] w)
        {
            var result = new double[t * h * e];
            for (var p = 0; p < t; p++)
                for (var head = 0; head < h; head++)
                    for (var j = 0; j < e; j++)
                        for (var i = 0; i < d; i++)
                            result[(p * h + head) * e + j] += residPre[p * d + i] * w[(head * d + i) * e + j];
            return result;
        }
        var q = Project(_w[ParameterNames.Query(l)]);
        at(HookNames.Q(l), q);
        var k = Project(_w[ParameterNames.Key(l)]);
        at(HookNames.K(l), k);
        var v = Project(_w[ParameterNames.Value(l)]);
        at(HookNames.V(l), v);

        // scores and pattern [head, dest, src]; a masked score is −∞ and its pattern entry 0.
        var scale = c.AttentionScale == AttentionScale.InverseSqrtDHead ? 1 / Math.Sqrt(e) : 1 / Math.Sqrt(d);
        var scores = new double[h * t * t];
        for (var head = 0; head < h; head++)
            for (var p = 0; p < t; p++)
                for (var s = 0; s < t; s++)
                {
                    double dot = 0;
                    for (var j = 0; j < e; j++) dot += q[(p * h + head) * e + j] * k[(s * h + head) * e + j];
                    scores[(head * t + p) * t + s] = c.CausalMask && s > p ? double.NegativeInfinity : dot * scale;
                }
        at(HookNames.AttnScores(l), scores);
        var pattern = new double[h * t * t];
        for (var row = 0; row < h * t; row++)
        {
            var max = double.NegativeInfinity;
            for (var s = 0; s < t; s++) max = Math.Max(max, scores[row * t + s]);
            double sum = 0;
            for (var s = 0; s < t; s++) sum += pattern[row * t + s] = Math.Exp(scores[row * t + s] - max);
            for (var s = 0; s < t; s++) pattern[row * t + s] /= sum;
        }
        at(HookNames.Pattern(l), pattern);

        // z [pos, head, d_head] = Σ_src pattern · v, over every source (a masked one weighs 0).
        var z = new double[t * h * e];
        for (var p = 0; p < t; p++)
            for (var head = 0; head < h; head++)
                for (var j = 0; j < e; j++)
                    for (var s = 0; s < t; s++)
                        z[(p * h + head) * e + j] += pattern[(head * t + p) * t + s] * v[(s * h + head) * e + j];
        at(HookNames.Z(l), z);
        var wo = _w[ParameterNames.Output(l)];
        var attnOut = new double[t * d];
        for (var p = 0; p < t; p++)
            for (var i = 0; i < d; i++)
                for (var head = 0; head < h; head++)
                    for (var j = 0; j < e; j++)
                        attnOut[p * d + i] += z[(p * h + head) * e + j] * wo[(head * e + j) * d + i];
        at(HookNames.AttnOut(l), attnOut);
        var mid = new double[t * d];
        for (var i = 0; i < mid.Length; i++) mid[i] = residPre[i] + attnOut[i];
        at(HookNames.ResidMid(l), mid);

        var win = _w[ParameterNames.MlpIn(l)];
        var pre = new double[t * m];
        for (var p = 0; p < t; p++)
            for (var u = 0; u < m; u++)
                for (var i = 0; i < d; i++) pre[p * m + u] += mid[p * d + i] * win[i * m + u];
        at(HookNames.MlpPre(l), pre);
        var post = Array.ConvertAll(pre, a => Math.Max(a, 0));
        at(HookNames.MlpPost(l), post);
        var wout = _w[ParameterNames.MlpOut(l)];
        var mlpOut = new double[t * d];
        for (var p = 0; p < t; p++)
            for (var i = 0; i < d; i++)
                for (var u = 0; u < m; u++) mlpOut[p * d + i] += post[p * m + u] * wout[u * d + i];
        at(HookNames.MlpOut(l), mlpOut);
        var residPost = new double[t * d];
        for (var i = 0; i < residPost.Length; i++) residPost[i] = mid[i] + mlpOut[i];
        at(HookNames.ResidPost(l), residPost);
        return residPost;
    }
}
