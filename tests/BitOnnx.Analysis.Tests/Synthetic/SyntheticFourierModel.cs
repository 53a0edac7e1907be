using BitOnnx.Analysis.Inputs;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis.Tests.Synthetic;

/// <summary>Which algorithm a synthetic model's logits implement.</summary>
public enum SyntheticAlgorithm
{
    /// <summary>Logits Σ_k cos(w_k(a+b−c)) (Nanda et al. 2023).</summary>
    Clock,

    /// <summary>Logits Σ_k cos²(w_k(a−b)/2)·cos(w_k(a+b−c)) (Zhong et al. 2023).</summary>
    Pizza,
}

/// <summary>Shape and character of a synthetic model.</summary>
public sealed record SyntheticModelSpec
{
    /// <summary>Modulus.</summary>
    public int P { get; init; } = 113;

    /// <summary>Residual width (at least 2 per key frequency).</summary>
    public int DModel { get; init; } = 128;

    /// <summary>Attention heads.</summary>
    public int NHeads { get; init; } = 4;

    /// <summary>MLP width.</summary>
    public int DMlp { get; init; } = 512;

    /// <summary>The frequencies the model "uses".</summary>
    public IReadOnlyList<int> KeyFrequencies { get; init; } = [17, 25, 32, 47];

    /// <summary>Logit algorithm.</summary>
    public SyntheticAlgorithm Algorithm { get; init; } = SyntheticAlgorithm.Clock;

    /// <summary>Gaussian noise added everywhere, relative to the signal (binary models look noisier).</summary>
    public double Noise { get; init; } = 0.05;

    /// <summary>Scale of the logits (sets the loss: larger is more confident).</summary>
    public double LogitScale { get; init; } = 6;

    /// <summary>Seed of the noise.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// A model whose probes are written down in closed form from a known Fourier algorithm: the embedding holds
/// cos/sin of the key frequencies, neurons are ReLUs of cos(w_k a + φ) + cos(w_k b + ψ), attention to a is
/// 0.5 + α(cos w_k a − cos w_k b), and the logits implement a clock or a pizza. Used by the tests (known answers),
/// the benchmark (a full-size input without ONNX) and demos of the report.
/// </summary>
public sealed class SyntheticFourierModel : IEmbeddedLogits
{
    private readonly double[] _embedding; // [P + 1, d_model]
    private readonly double _amplitude = 1.0;

    /// <summary>Builds the model's weights.</summary>
    public SyntheticFourierModel(SyntheticModelSpec spec)
    {
        if (spec.DModel < 2 * spec.KeyFrequencies.Count)
            throw new ArgumentException("d_model must hold a cos and a sin column per key frequency.", nameof(spec));
        Spec = spec;
        var rng = new Random(spec.Seed);
        int p = spec.P, d = spec.DModel;
        _embedding = new double[(p + 1) * d];
        for (int t = 0; t <= p; t++)
            for (int j = 0; j < d; j++)
            {
                double v = spec.Noise * Gaussian(rng);
                int key = j / 2;
                if (t < p && key < spec.KeyFrequencies.Count)
                {
                    double angle = Omega(spec.KeyFrequencies[key]) * t;
                    v += _amplitude * (j % 2 == 0 ? Math.Cos(angle) : Math.Sin(angle));
                }
                _embedding[t * d + j] = v;
            }
    }

    /// <summary>The specification.</summary>
    public SyntheticModelSpec Spec { get; }

    /// <inheritdoc />
    public int DModel => Spec.DModel;

    /// <inheritdoc />
    public int NCtx => 3;

    private double Omega(int k) => 2 * Math.PI * k / Spec.P;

    /// <summary>Probes over all P² inputs: hook_embed, the attention scores and pattern, hook_post at = and the logits.</summary>
    public InMemoryProbeSource Probes()
    {
        var s = Spec;
        int p = s.P, pp = p * p, d = s.DModel, h = s.NHeads, m = s.DMlp, nk = s.KeyFrequencies.Count;
        var rng = new Random(s.Seed + 1);
        var source = new InMemoryProbeSource(p);

        var embed = new float[pp * 3 * d];
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++)
            {
                int row = a * p + b;
                for (int j = 0; j < d; j++)
                {
                    embed[(row * 3 + 0) * d + j] = (float)_embedding[a * d + j];
                    embed[(row * 3 + 1) * d + j] = (float)_embedding[b * d + j];
                    embed[(row * 3 + 2) * d + j] = (float)_embedding[p * d + j];
                }
            }
        source.Add(HookNames.Embed, embed, pp, 3, d);

        var pattern = new float[pp * h * 9];
        var scores = new float[pp * h * 9];
        for (int row = 0; row < pp; row++)
        {
            int a = row / p, b = row % p;
            for (int head = 0; head < h; head++)
            {
                double w = Omega(s.KeyFrequencies[head % nk]);
                double toA = Math.Clamp(0.5 + 0.2 * (Math.Cos(w * a) - Math.Cos(w * b)) + 0.02 * s.Noise * Gaussian(rng), 0.01, 0.99);
                int q = (row * h + head) * 9 + 2 * 3; // query position 2
                pattern[q] = (float)toA;
                pattern[q + 1] = (float)(1 - toA);
                scores[q] = (float)Math.Log(toA / (1 - toA));
                for (int qp = 0; qp < 2; qp++) pattern[(row * h + head) * 9 + qp * 3 + qp] = 1; // earlier queries look at themselves
            }
        }
        source.Add(HookNames.Pattern(0), pattern, pp, h, 3, 3);
        source.Add(HookNames.AttnScores(0), scores, pp, h, 3, 3);

        var post = new float[pp * 3 * m];
        var phaseA = new double[m];
        var phaseB = new double[m];
        for (int n = 0; n < m; n++)
        {
            phaseA[n] = 2 * Math.PI * rng.NextDouble();
            phaseB[n] = 2 * Math.PI * rng.NextDouble();
        }
        for (int row = 0; row < pp; row++)
        {
            int a = row / p, b = row % p;
            int offset = (row * 3 + 2) * m;
            for (int n = 0; n < m; n++)
            {
                double w = Omega(s.KeyFrequencies[n % nk]);
                double pre = Math.Cos(w * a + phaseA[n]) + Math.Cos(w * b + phaseB[n]) + 0.3 + s.Noise * Gaussian(rng);
                post[offset + n] = (float)Math.Max(0, pre);
            }
        }
        source.Add(HookNames.MlpPost(0), post, pp, 3, m);
        source.Add(HookNames.Logits, Logits(rng), pp, p);
        return source;
    }

    /// <summary>Folded weights: embed.W_E, blocks.0.mlp.W_out (random, small) and unembed.W_U (cos/sin of the key frequencies).</summary>
    public InMemoryWeightSource Weights()
    {
        var s = Spec;
        int p = s.P, d = s.DModel, m = s.DMlp;
        var rng = new Random(s.Seed + 2);
        var we = _embedding.Select(v => (float)v).ToArray();
        var wOut = new float[m * d];
        for (int n = 0; n < m; n++)
        {
            int key = n % s.KeyFrequencies.Count;
            for (int j = 0; j < d; j++)
                wOut[n * d + j] = (float)((j / 2 == key ? 0.5 : 0) + 0.05 * s.Noise * Gaussian(rng));
        }
        var wU = new float[d * p];
        for (int j = 0; j < d; j++)
            for (int c = 0; c < p; c++)
            {
                int key = j / 2;
                double v = s.Noise * Gaussian(rng);
                if (key < s.KeyFrequencies.Count)
                {
                    double angle = Omega(s.KeyFrequencies[key]) * c;
                    v += j % 2 == 0 ? Math.Cos(angle) : Math.Sin(angle);
                }
                wU[j * p + c] = (float)v;
            }
        return new InMemoryWeightSource()
            .Add(ParameterNames.Embed, we, p + 1, d)
            .Add(ParameterNames.MlpOut(0), wOut, m, d)
            .Add(ParameterNames.Unembed, wU, d, p);
    }

    private float[] Logits(Random rng)
    {
        int p = Spec.P;
        var logits = new float[p * p * p];
        var clean = new double[p];
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++)
            {
                LogitsOf(Unit(a), Unit(b), clean);
                for (int c = 0; c < p; c++)
                    logits[(a * p + b) * p + c] = (float)(clean[c] + Spec.Noise * Spec.LogitScale * Gaussian(rng));
            }
        return logits;
    }

    // The (cos, sin) pair of each key frequency, read from the embedding row of token t.
    private (double Cos, double Sin)[] Unit(int t)
    {
        int d = Spec.DModel, nk = Spec.KeyFrequencies.Count;
        var z = new (double, double)[nk];
        for (int k = 0; k < nk; k++) z[k] = (_embedding[t * d + 2 * k], _embedding[t * d + 2 * k + 1]);
        return z;
    }

    // Clock: Re(z_a·z_b·conj(e^{iwc})) = cos(w(a+b−c)). Pizza: Re(((z_a+z_b)/2)²·conj(e^{iwc})) = cos²(w(a−b)/2)·cos(w(a+b−c)).
    private void LogitsOf((double Cos, double Sin)[] za, (double Cos, double Sin)[] zb, double[] logits)
    {
        int p = Spec.P;
        Array.Clear(logits);
        for (int k = 0; k < za.Length; k++)
        {
            double re, im;
            if (Spec.Algorithm == SyntheticAlgorithm.Clock)
            {
                re = za[k].Cos * zb[k].Cos - za[k].Sin * zb[k].Sin;
                im = za[k].Cos * zb[k].Sin + za[k].Sin * zb[k].Cos;
            }
            else
            {
                double x = 0.5 * (za[k].Cos + zb[k].Cos), y = 0.5 * (za[k].Sin + zb[k].Sin);
                re = x * x - y * y;
                im = 2 * x * y;
            }
            double w = Omega(Spec.KeyFrequencies[k]);
            for (int c = 0; c < p; c++) logits[c] += Spec.LogitScale * (re * Math.Cos(w * c) + im * Math.Sin(w * c));
        }
    }

    /// <inheritdoc />
    public double[] Logits(double[] embedded, int batch)
    {
        int d = Spec.DModel, nk = Spec.KeyFrequencies.Count, p = Spec.P;
        var result = new double[batch * p];
        var za = new (double, double)[nk];
        var zb = new (double, double)[nk];
        var row = new double[p];
        for (int i = 0; i < batch; i++)
        {
            int baseA = i * 3 * d, baseB = baseA + d;
            for (int k = 0; k < nk; k++)
            {
                za[k] = (embedded[baseA + 2 * k], embedded[baseA + 2 * k + 1]);
                zb[k] = (embedded[baseB + 2 * k], embedded[baseB + 2 * k + 1]);
            }
            LogitsOf(za, zb, row);
            Array.Copy(row, 0, result, i * p, p);
        }
        return result;
    }

    internal static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
