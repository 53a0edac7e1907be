using BitOnnx.Analysis.Inputs;
using BitOnnx.Analysis.Progress;
using BitOnnx.Core.Model;

namespace BitOnnx.Analysis.Tests.Synthetic;

/// <summary>
/// Checkpoints of a made-up grokking run, in closed form: a memorising solution (confident on the training pairs,
/// random elsewhere) grows first, a Fourier circuit forms later, and weight decay then removes the memorisation.
/// It drives the progress-measure plots in demos and tests without training anything.
/// </summary>
public static class SyntheticTraining
{
    /// <summary>Checkpoints every <paramref name="every"/> epochs up to <paramref name="epochs"/> for the model of <paramref name="spec"/>.</summary>
    public static IReadOnlyList<CheckpointInputs> Checkpoints(SyntheticModelSpec spec, IReadOnlyList<int> trainRows, int epochs = 10000, int every = 250,
        double circuitMidpoint = 4500, double cleanupMidpoint = 7500)
    {
        var model = new SyntheticFourierModel(spec);
        var finalWeights = model.Weights();
        var rng = new Random(spec.Seed + 7);
        int p = spec.P;
        var memorised = new float[p * p * p];
        var train = new HashSet<int>(trainRows);
        for (int row = 0; row < p * p; row++)
        {
            int target = (row / p + row % p) % p;
            for (int c = 0; c < p; c++)
            {
                double v = 1.5 * SyntheticFourierModel.Gaussian(rng);
                if (train.Contains(row) && c == target) v += 14;
                memorised[row * p + c] = (float)v;
            }
        }
        var clock = ProbeViews.Logits(model.Probes());
        var randomEmbedding = finalWeights.TryGet(ParameterNames.Embed, out var we)
            ? we.Data.Select(_ => (float)(0.8 * SyntheticFourierModel.Gaussian(rng))).ToArray()
            : throw new InvalidOperationException("The synthetic model has no embedding.");

        var list = new List<CheckpointInputs>();
        for (int epoch = 0; epoch <= epochs; epoch += every)
        {
            double memory = (1 - Math.Exp(-epoch / 300.0)) * (1 - Sigmoid((epoch - cleanupMidpoint) / 500));
            double circuit = Sigmoid((epoch - circuitMidpoint) / 900);
            list.Add(new CheckpointInputs(epoch,
                new BlendedLogits(p, memorised, clock, 0.05 + memory, circuit),
                BlendedWeights(finalWeights, randomEmbedding, circuit, 1 + 2 * memory)));
        }
        return list;
    }

    /// <summary>A seeded train split of <paramref name="fraction"/> of the P² rows.</summary>
    public static int[] TrainRows(int p, double fraction, int seed)
    {
        var rows = Enumerable.Range(0, p * p).ToArray();
        new Random(seed).Shuffle(rows);
        return rows.Take((int)Math.Round(fraction * rows.Length)).OrderBy(r => r).ToArray();
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static InMemoryWeightSource BlendedWeights(InMemoryWeightSource final, float[] randomEmbedding, double circuit, double size)
    {
        var result = new InMemoryWeightSource();
        foreach (var name in final.Names)
        {
            final.TryGet(name, out var w);
            var data = new float[w.Data.Length];
            for (int i = 0; i < data.Length; i++)
            {
                double noise = name == ParameterNames.Embed ? randomEmbedding[i] : 0.3 * Math.Sin(i * 12.9898);
                data[i] = (float)(size * (circuit * w.Data[i] + (1 - circuit) * noise));
            }
            result.Add(name, data, w.Shape);
        }
        return result;
    }

    // Logits = memory·memorised + circuit·clock, computed when asked (a checkpoint's P³ logits are not kept).
    private sealed class BlendedLogits(int p, float[] memorised, float[] clock, double memory, double circuit) : IProbeSource
    {
        public int P => p;

        public IReadOnlyCollection<string> Names => [HookNames.Logits];

        public ProbeTensor Get(string name)
        {
            if (name != HookNames.Logits) throw new MissingProbesException("synthetic checkpoint", name);
            var data = new float[memorised.Length];
            for (int i = 0; i < data.Length; i++) data[i] = (float)(memory * memorised[i] + circuit * clock[i]);
            return new ProbeTensor(name, data, [p * p, p]);
        }
    }
}
