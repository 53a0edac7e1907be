using BitOnnx.Core.Randomness;
using BitOnnx.Core.Transcoders;
using BitOnnx.Engine.Transcoders;

namespace BitOnnx.Engine.Tests.Transcoders;

/// <summary>Training recovers a planted sparse map, and gives the same bytes on one and two threads.</summary>
[TestClass]
public sealed class TranscoderTrainingTests
{
    private static readonly TranscoderSource Source = new("planted", 7, "00");

    /// <summary>
    /// x = Σ f_i a_i over orthonormal atoms a_i, y = Σ f_i d_i over random d_i, with 2 of 16 f active (U(0.5, 1.5)):
    /// a transcoder with W_enc = [a_i], W_dec = [d_i] reproduces y exactly, so training must find FVU &lt; 1e-3.
    /// </summary>
    [TestMethod]
    public void APlantedSparseMapIsRecovered()
    {
        const int atoms = 16, dIn = 16, dOut = 8, rows = 2048, active = 2;
        var (x, y) = Planted(atoms, dIn, dOut, rows, active, seed: 5);
        var config = new TranscoderConfig(TranscoderKind.TopK, dIn, dOut, Width: 32, K: active, L1Coefficient: 0, Seed: 1);
        var t = TranscoderTraining.Train(config, new TranscoderTrainingSettings { Epochs = 300, BatchSize = 64, LearningRate = 3e-3 }, x, y, Source, threads: 2);
        var yHat = t.Decode(t.Encode(x));
        double squared = 0;
        for (int i = 0; i < y.Length; i++) squared += (y[i] - yHat[i]) * (double)(y[i] - yHat[i]);
        var fvu = squared / TranscoderLayer.TotalVariance(y, rows, dOut);
        Assert.IsTrue(fvu < 1e-3, $"FVU {fvu}");
    }

    [TestMethod]
    [DataRow(TranscoderKind.TopK)]
    [DataRow(TranscoderKind.L1)]
    public void OneAndTwoThreadsGiveTheSameBytes(TranscoderKind kind)
    {
        var (x, y) = Planted(16, 16, 8, 512, 2, seed: 6);
        var config = new TranscoderConfig(kind, 16, 8, Width: 32, K: 4, L1Coefficient: 0.01, Seed: 3);
        var settings = new TranscoderTrainingSettings { Epochs = 3, BatchSize = 128 };
        var one = TranscoderTraining.Train(config, settings, x, y, Source, threads: 1);
        var two = TranscoderTraining.Train(config, settings, x, y, Source, threads: 2);
        CollectionAssert.AreEqual(one.Parameters.Data, two.Parameters.Data);
    }

    private static (float[] X, float[] Y) Planted(int atoms, int dIn, int dOut, int rows, int active, long seed)
    {
        var random = new SeededRandom((ulong)seed);
        var a = new double[atoms, dIn];
        for (int i = 0; i < atoms; i++)
        {
            // Gram–Schmidt against the atoms before: orthonormal atoms make the planted encoder exact.
            for (int d = 0; d < dIn; d++) a[i, d] = random.NextGaussian();
            for (int p = 0; p < i; p++)
            {
                double dot = 0;
                for (int d = 0; d < dIn; d++) dot += a[i, d] * a[p, d];
                for (int d = 0; d < dIn; d++) a[i, d] -= dot * a[p, d];
            }
            double norm = Math.Sqrt(Enumerable.Range(0, dIn).Sum(d => a[i, d] * a[i, d]));
            for (int d = 0; d < dIn; d++) a[i, d] /= norm;
        }
        var dec = new double[atoms, dOut];
        for (int i = 0; i < atoms; i++)
            for (int o = 0; o < dOut; o++) dec[i, o] = random.NextGaussian();
        var x = new float[rows * dIn];
        var y = new float[rows * dOut];
        for (int r = 0; r < rows; r++)
        {
            var chosen = new HashSet<int>();
            while (chosen.Count < active) chosen.Add(random.NextInt(atoms));
            foreach (var i in chosen)
            {
                var f = 0.5 + random.NextDouble();
                for (int d = 0; d < dIn; d++) x[r * dIn + d] += (float)(f * a[i, d]);
                for (int o = 0; o < dOut; o++) y[r * dOut + o] += (float)(f * dec[i, o]);
            }
        }
        return (x, y);
    }
}
