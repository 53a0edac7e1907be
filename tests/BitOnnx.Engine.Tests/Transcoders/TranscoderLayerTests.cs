using BitOnnx.Core.Randomness;
using BitOnnx.Core.Transcoders;
using BitOnnx.Engine.Transcoders;

namespace BitOnnx.Engine.Tests.Transcoders;

/// <summary>
/// The transcoder's forward against Core's reference encode and decode, and its backward against central finite
/// differences of a float64 forward written here.
/// </summary>
[TestClass]
public sealed class TranscoderLayerTests
{
    private static readonly TranscoderSource Source = new("toy", 7, "00");

    [TestMethod]
    [DataRow(TranscoderKind.TopK)]
    [DataRow(TranscoderKind.L1)]
    public void ForwardMatchesTheReference(TranscoderKind kind)
    {
        var (t, x, _) = Toy(kind, rows: 40, seed: 1);
        var layer = new TranscoderLayer(t.Config);
        layer.Forward(t, x, threads: 2);
        var latents = t.Encode(x);
        var expected = t.Decode(latents);
        var got = layer.Latents();
        for (int i = 0; i < latents.Length; i++) Assert.AreEqual(latents[i], got[i], 1e-5f, $"latent {i}");
        for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], layer.Output[i], 1e-4f, $"output {i}");
        if (kind == TranscoderKind.TopK)
            for (int r = 0; r < 40; r++) Assert.IsTrue(layer.ActiveOf(r).Length <= t.Config.K);
    }

    [TestMethod]
    [DataRow(TranscoderKind.TopK)]
    [DataRow(TranscoderKind.L1)]
    public void BackwardMatchesFiniteDifferences(TranscoderKind kind)
    {
        var (t, x, y) = Toy(kind, rows: 12, seed: 2);
        var layer = new TranscoderLayer(t.Config);
        layer.Forward(t, x, threads: 1);
        Assert.AreEqual(Loss64(t, x, y, t.Parameters.Data.Select(v => (double)v).ToArray()), layer.Loss(y), 1e-5);
        var gradient = t.Parameters.ZerosLike();
        layer.Backward(t, x, y, gradient);
        var theta = t.Parameters.Data.Select(v => (double)v).ToArray();
        const double h = 1e-6;
        for (int i = 0; i < theta.Length; i++)
        {
            var saved = theta[i];
            theta[i] = saved + h;
            var up = Loss64(t, x, y, theta);
            theta[i] = saved - h;
            var down = Loss64(t, x, y, theta);
            theta[i] = saved;
            var numeric = (up - down) / (2 * h);
            Assert.AreEqual(numeric, gradient.Data[i], 1e-4 + 1e-3 * Math.Abs(numeric), $"parameter {i}");
        }
    }

    /// <summary>
    /// The loss in float64 from parameters θ in the transcoder's layout: pre = x·W_enc + b_enc, f = TopK(ReLU(pre)) or
    /// ReLU(pre), ŷ = f·W_dec + b_dec; FVU against the batch mean, or the mean over rows of ‖y − ŷ‖² + λ‖f‖₁.
    /// </summary>
    private static double Loss64(Transcoder t, float[] x, float[] y, double[] theta)
    {
        var c = t.Config;
        int rows = x.Length / c.DIn, wEnc = 0, bEnc = c.DIn * c.Width, wDec = bEnc + c.Width, bDec = wDec + c.Width * c.DOut;
        double squared = 0, l1 = 0;
        for (int r = 0; r < rows; r++)
        {
            var f = new double[c.Width];
            for (int j = 0; j < c.Width; j++)
            {
                double s = theta[bEnc + j];
                for (int i = 0; i < c.DIn; i++) s += x[r * c.DIn + i] * theta[wEnc + i * c.Width + j];
                f[j] = Math.Max(s, 0);
            }
            if (c.Kind == TranscoderKind.TopK)
            {
                var kept = Enumerable.Range(0, c.Width).OrderByDescending(j => f[j]).ThenBy(j => j).Take(c.K).ToHashSet();
                for (int j = 0; j < c.Width; j++) if (!kept.Contains(j)) f[j] = 0;
            }
            for (int o = 0; o < c.DOut; o++)
            {
                double s = theta[bDec + o];
                for (int j = 0; j < c.Width; j++) s += f[j] * theta[wDec + j * c.DOut + o];
                squared += (y[r * c.DOut + o] - s) * (y[r * c.DOut + o] - s);
            }
            l1 += f.Sum();
        }
        if (c.Kind == TranscoderKind.L1) return (squared + c.L1Coefficient * l1) / rows;
        double total = 0;
        for (int o = 0; o < c.DOut; o++)
        {
            double mean = Enumerable.Range(0, rows).Average(r => (double)y[r * c.DOut + o]);
            for (int r = 0; r < rows; r++) total += (y[r * c.DOut + o] - mean) * (y[r * c.DOut + o] - mean);
        }
        return squared / total;
    }

    /// <summary>A transcoder of random weights (decoder included, so the encoder's gradient is not zero) and random rows.</summary>
    private static (Transcoder T, float[] X, float[] Y) Toy(TranscoderKind kind, int rows, long seed)
    {
        var config = new TranscoderConfig(kind, DIn: 5, DOut: 4, Width: 9, K: 3, L1Coefficient: 0.3, Seed: seed);
        var t = Transcoder.Zeros(config, Source);
        var random = new SeededRandom((ulong)seed);
        for (int i = 0; i < t.Parameters.Data.Length; i++) t.Parameters.Data[i] = (float)random.NextGaussian() * 0.5f;
        var x = Enumerable.Range(0, rows * 5).Select(_ => (float)random.NextGaussian()).ToArray();
        var y = Enumerable.Range(0, rows * 4).Select(_ => (float)random.NextGaussian()).ToArray();
        return (t, x, y);
    }
}
