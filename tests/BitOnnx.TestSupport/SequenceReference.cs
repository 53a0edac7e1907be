using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Core.Randomness;

namespace BitOnnx.TestSupport;

/// <summary>
/// TransformerLens' HookedTransformer forward (LN, biases, learned positions, causal attention, ReLU) as plain loops in
/// double, written from its definition and nothing else: what TorchSharp, the engine and ONNX Runtime are held to.
/// </summary>
public static class SequenceReference
{
    /// <summary>Every parameter drawn at random (biases and LayerNorm weights too, so that none is left untested).</summary>
    public static IReadOnlyList<NamedTensor> RandomParameters(SequenceModelConfig c, long seed, double scale = 0.5)
    {
        var random = SeededRandom.ForPurpose(seed, "sequence-reference");
        return c.Parameters().Select(p =>
        {
            var data = new float[p.Shape.Size];
            for (int i = 0; i < data.Length; i++)
                data[i] = (float)((p.Kind == SequenceParameterKind.NormGain ? 1 : 0) + scale * random.NextGaussian());
            return new NamedTensor(p.Name, p.Shape, data);
        }).ToList();
    }

    /// <summary>
    /// Changes one activation in place as the pass computes it: (hook, position, head or -1, values), called for
    /// blocks.l.attn.hook_z per position and head, blocks.l.mlp.hook_post and blocks.l.hook_resid_post per position.
    /// </summary>
    public delegate void Edit(string hook, int position, int head, double[] values);

    /// <summary>Logits [T][d_vocab_out] of one sequence, the block linears quantized by Core's WeightQuantizer.</summary>
    public static double[][] Logits(SequenceModelConfig c, IReadOnlyList<NamedTensor> parameters, int[] tokens, Edit? edit = null)
    {
        var w = parameters.ToDictionary(p => p.Name, p => Effective(c, p));
        int t = tokens.Length, d = c.DModel, h = c.NHeads, e = c.DHead, m = c.DMlp;
        var resid = new double[t][];
        for (int i = 0; i < t; i++)
        {
            resid[i] = new double[d];
            for (int k = 0; k < d; k++) resid[i][k] = w["embed.W_E"][tokens[i] * d + k] + w["pos_embed.W_pos"][i * d + k];
        }
        for (int l = 0; l < c.NLayers; l++)
        {
            string b = $"blocks.{l}.";
            var x = resid.Select(r => LayerNorm(r, w[b + "ln1.w"], w[b + "ln1.b"])).ToArray();
            double[,,] q = Project(x, w[b + "attn.W_Q"], w[b + "attn.b_Q"], h, d, e), kk = Project(x, w[b + "attn.W_K"], w[b + "attn.b_K"], h, d, e),
                v = Project(x, w[b + "attn.W_V"], w[b + "attn.b_V"], h, d, e);
            var attnOut = new double[t][];
            for (int i = 0; i < t; i++)
            {
                attnOut[i] = new double[d];
                for (int k = 0; k < d; k++) attnOut[i][k] = w[b + "attn.b_O"][k];
                for (int head = 0; head < h; head++)
                {
                    // Query i reads keys 0..i only.
                    var scores = new double[i + 1];
                    for (int j = 0; j <= i; j++)
                    {
                        double s = 0;
                        for (int a = 0; a < e; a++) s += q[i, head, a] * kk[j, head, a];
                        scores[j] = s / Math.Sqrt(e);
                    }
                    double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                    var z = new double[e];
                    for (int j = 0; j <= i; j++)
                        for (int a = 0; a < e; a++) z[a] += Math.Exp(scores[j] - max) / sum * v[j, head, a];
                    edit?.Invoke($"blocks.{l}.attn.hook_z", i, head, z);
                    for (int a = 0; a < e; a++)
                        for (int k = 0; k < d; k++) attnOut[i][k] += z[a] * w[b + "attn.W_O"][(head * e + a) * d + k];
                }
            }
            for (int i = 0; i < t; i++)
                for (int k = 0; k < d; k++) resid[i][k] += attnOut[i][k];
            for (int i = 0; i < t; i++)
            {
                var y = LayerNorm(resid[i], w[b + "ln2.w"], w[b + "ln2.b"]);
                var post = new double[m];
                for (int n = 0; n < m; n++)
                {
                    double s = w[b + "mlp.b_in"][n];
                    for (int k = 0; k < d; k++) s += y[k] * w[b + "mlp.W_in"][k * m + n];
                    post[n] = Math.Max(0, s);
                }
                edit?.Invoke($"blocks.{l}.mlp.hook_post", i, -1, post);
                for (int k = 0; k < d; k++)
                {
                    double s = w[b + "mlp.b_out"][k];
                    for (int n = 0; n < m; n++) s += post[n] * w[b + "mlp.W_out"][n * d + k];
                    resid[i][k] += s;
                }
                edit?.Invoke($"blocks.{l}.hook_resid_post", i, -1, resid[i]);
            }
        }
        int o = c.DVocabOut;
        return resid.Select(r =>
        {
            var y = LayerNorm(r, w["ln_final.w"], w["ln_final.b"]);
            var logits = new double[o];
            for (int u = 0; u < o; u++)
            {
                double s = w["unembed.b_U"][u];
                for (int k = 0; k < d; k++) s += y[k] * w["unembed.W_U"][k * o + u];
                logits[u] = s;
            }
            return logits;
        }).ToArray();
    }

    private static double[] Effective(SequenceModelConfig c, NamedTensor p)
    {
        var info = c.Parameters().Single(x => x.Name == p.Name);
        if (!info.Quantizable || c.Quantization == WeightQuantization.None) return Array.ConvertAll(p.Data, x => (double)x);
        var effective = new float[p.Data.Length];
        WeightQuantizer.Quantize(p.Data, effective, c.Quantization, c.BinaryScale);
        return Array.ConvertAll(effective, x => (double)x);
    }

    private static double[] LayerNorm(double[] x, double[] w, double[] b)
    {
        double mean = x.Average();
        double variance = x.Sum(v => (v - mean) * (v - mean)) / x.Length;
        double scale = Math.Sqrt(variance + 1e-5);
        return x.Select((v, k) => (v - mean) / scale * w[k] + b[k]).ToArray();
    }

    /// <summary>[T][d] through W [h, d, e] plus b [h, e] → [T, h, e].</summary>
    private static double[,,] Project(double[][] x, double[] weight, double[] bias, int h, int d, int e)
    {
        var result = new double[x.Length, h, e];
        for (int i = 0; i < x.Length; i++)
            for (int head = 0; head < h; head++)
                for (int a = 0; a < e; a++)
                {
                    double s = bias[head * e + a];
                    for (int k = 0; k < d; k++) s += x[i][k] * weight[(head * d + k) * e + a];
                    result[i, head, a] = s;
                }
        return result;
    }
}
