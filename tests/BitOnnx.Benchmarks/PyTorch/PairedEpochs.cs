using System.Diagnostics;

namespace BitOnnx.Benchmarks.PyTorch;

/// <summary>
/// Two trainers' epochs timed in turn, a short block of each per round, so that each round's ratio is taken within
/// two seconds or so: this host's speed drifts from minute to minute, which would skew a ratio of two cases measured
/// apart. Each block starts with a pause and one untimed epoch, so that both sides are timed warm, as in a training
/// run: the other side's idle threads (OpenBLAS and OpenMP keep spinning a while after a call) have stopped, and the
/// block's own data is back in cache. The rounds alternate which side goes first.
/// </summary>
public static class PairedEpochs
{
    public static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(250);

    /// <summary>One round: each side's mean epoch in milliseconds.</summary>
    public readonly record struct Round(double EngineMs, double PyTorchMs)
    {
        public double Ratio => PyTorchMs / EngineMs;
    }

    public sealed record Result(IReadOnlyList<Round> Rounds)
    {
        public double MedianRatio => Quantile(Rounds.Select(r => r.Ratio), 0.5);

        public (double Low, double High) RatioQuartiles =>
            (Quantile(Rounds.Select(r => r.Ratio), 0.25), Quantile(Rounds.Select(r => r.Ratio), 0.75));

        public (double EngineMs, double PyTorchMs) MedianEpochMs =>
            (Quantile(Rounds.Select(r => r.EngineMs), 0.5), Quantile(Rounds.Select(r => r.PyTorchMs), 0.5));
    }

    public static Result Measure(Action engineEpoch, int engineEpochsPerRound, Action pytorchEpoch, int pytorchEpochsPerRound, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(engineEpochsPerRound, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pytorchEpochsPerRound, 1);
        var results = new List<Round>(rounds);
        for (var round = 0; round < rounds; round++)
        {
            double engine, pytorch;
            if (round % 2 == 0)
            {
                engine = Block(engineEpoch, engineEpochsPerRound);
                pytorch = Block(pytorchEpoch, pytorchEpochsPerRound);
            }
            else
            {
                pytorch = Block(pytorchEpoch, pytorchEpochsPerRound);
                engine = Block(engineEpoch, engineEpochsPerRound);
            }
            results.Add(new Round(engine, pytorch));
        }
        return new Result(results);
    }

    /// <summary>Linear interpolation between order statistics.</summary>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }

    /// <summary>The mean of <paramref name="epochs"/> timed epochs after a pause and one untimed epoch.</summary>
    private static double Block(Action epoch, int epochs)
    {
        Thread.Sleep(SettleTime);
        epoch();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < epochs; i++) epoch();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds / epochs;
    }
}
