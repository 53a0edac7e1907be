using BitOnnx.Core.Randomness;
using BitOnnx.Core.Training;
using BitOnnx.Core.Transcoders;
using BitOnnx.Engine.Training;

namespace BitOnnx.Engine.Transcoders;

/// <summary>How a transcoder is trained: Adam (no weight decay) over shuffled minibatches for a number of epochs.</summary>
public sealed record TranscoderTrainingSettings
{
    public int Epochs { get; init; } = 200;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 3e-3;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Epochs < 1) problems.Add($"--epochs {Epochs} trains nothing; give at least 1.");
        if (BatchSize < 1) problems.Add($"--batch-size {BatchSize} is not positive.");
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) problems.Add($"--lr {LearningRate} is not a positive number.");
        return problems;
    }
}

/// <summary>One step's progress: steps done of all, and the minibatch's loss.</summary>
public readonly record struct TranscoderStep(long Step, long Steps, double Loss);

/// <summary>
/// Trains a transcoder on rows (x, y) by minibatch Adam. Inputs and targets are first scaled to a mean row norm of
/// √d (SAELens' normalisation), so one learning rate serves models whose activations differ by orders of magnitude;
/// the scales are folded back into W_enc, W_dec and b_dec at the end, so the result reads and writes the model's own
/// activations and its latents are the ones trained. The encoder starts as PyTorch's Linear does (U(±1/√d_in), b_enc 0),
/// the decoder at zero (sparsify) and b_dec at the targets' mean. Same seed, same bytes, for any thread count.
/// </summary>
public static class TranscoderTraining
{
    public static Transcoder Train(TranscoderConfig config, TranscoderTrainingSettings settings, float[] inputs, float[] targets,
        TranscoderSource source, int threads, IProgress<TranscoderStep>? progress = null, CancellationToken cancel = default)
    {
        config = config.Validated();
        var problems = settings.Problems();
        if (problems.Count > 0) throw new TranscoderConfigException(string.Join(" ", problems));
        int rows = inputs.Length / config.DIn;
        if (rows < 1 || inputs.Length != rows * config.DIn || targets.Length != rows * config.DOut)
            throw new ArgumentException($"{inputs.Length} inputs and {targets.Length} targets are not the same rows of {config.DIn} and {config.DOut}.");
        var inputScale = NormScale(inputs, config.DIn);
        var targetScale = NormScale(targets, config.DOut);
        var x = Scaled(inputs, inputScale);
        var y = Scaled(targets, targetScale);

        var transcoder = Initial(config, source, y);
        var gradient = transcoder.Parameters.ZerosLike();
        // Adam (Kingma and Ba 2015; β = 0.9, 0.999, ε = 1e-8): the engine's AdamW without weight decay.
        var adam = new AdamW(new AdamWSettings { Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, WeightDecay = 0 }, transcoder.Parameters);
        var layer = new TranscoderLayer(config);
        var order = Enumerable.Range(0, rows).ToArray();
        var shuffle = SeededRandom.ForPurpose(config.Seed, "transcoder-batches");
        int batch = Math.Min(settings.BatchSize, rows), perEpoch = rows / batch;
        long steps = (long)settings.Epochs * perEpoch, step = 0;
        var bx = new float[batch * config.DIn];
        var by = new float[batch * config.DOut];
        for (int epoch = 0; epoch < settings.Epochs; epoch++)
        {
            shuffle.Shuffle(order.AsSpan());
            for (int b = 0; b < perEpoch; b++)
            {
                cancel.ThrowIfCancellationRequested();
                for (int n = 0; n < batch; n++)
                {
                    int r = order[b * batch + n];
                    x.AsSpan(r * config.DIn, config.DIn).CopyTo(bx.AsSpan(n * config.DIn));
                    y.AsSpan(r * config.DOut, config.DOut).CopyTo(by.AsSpan(n * config.DOut));
                }
                layer.Forward(transcoder, bx, threads);
                Array.Clear(gradient.Data);
                layer.Backward(transcoder, bx, by, gradient, threads);
                // The learning rate falls linearly to 0 over the last fifth of the steps: the last steps settle the
                // decoder rather than wander around its optimum.
                var decay = Math.Min(1.0, (steps - step) / (0.2 * steps));
                adam.Update(transcoder.Parameters, gradient, settings.LearningRate * decay);
                step++;
                if (progress is not null && (step % 50 == 0 || step == steps)) progress.Report(new TranscoderStep(step, steps, layer.Loss(by)));
            }
        }
        Unscale(transcoder, inputScale, targetScale);
        return transcoder;
    }

    private static Transcoder Initial(TranscoderConfig config, TranscoderSource source, float[] y)
    {
        var transcoder = Transcoder.Zeros(config, source);
        var random = SeededRandom.ForPurpose(config.Seed, "transcoder-init");
        var bound = 1 / Math.Sqrt(config.DIn);
        var wEnc = transcoder.Parameters[Transcoder.EncoderWeight];
        for (int i = 0; i < wEnc.Length; i++) wEnc[i] = (float)((2 * random.NextDouble() - 1) * bound);
        var bDec = transcoder.Parameters[Transcoder.DecoderBias];
        int rows = y.Length / config.DOut;
        for (int o = 0; o < config.DOut; o++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++) sum += y[r * config.DOut + o];
            bDec[o] = (float)(sum / rows);
        }
        return transcoder;
    }

    /// <summary>√d / (mean row norm): the factor that gives rows a mean norm of √d; 1 for rows of zeros.</summary>
    private static double NormScale(float[] values, int width)
    {
        int rows = values.Length / width;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int i = 0; i < width; i++) s += (double)values[r * width + i] * values[r * width + i];
            total += Math.Sqrt(s);
        }
        var mean = total / rows;
        return mean > 0 ? Math.Sqrt(width) / mean : 1;
    }

    private static float[] Scaled(float[] values, double scale) => values.Select(v => (float)(v * scale)).ToArray();

    /// <summary>x' = s_x·x and y' = s_y·y: pre = x'·W + b = x·(s_x W) + b; ŷ = ŷ'/s_y = f·(W_dec/s_y) + b_dec/s_y.</summary>
    private static void Unscale(Transcoder transcoder, double inputScale, double targetScale)
    {
        var p = transcoder.Parameters;
        foreach (ref var w in p[Transcoder.EncoderWeight]) w = (float)(w * inputScale);
        foreach (ref var w in p[Transcoder.DecoderWeight]) w = (float)(w / targetScale);
        foreach (ref var b in p[Transcoder.DecoderBias]) b = (float)(b / targetScale);
    }
}
