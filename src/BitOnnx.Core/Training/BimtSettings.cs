using System.Globalization;

namespace BitOnnx.Core.Training;

/// <summary>
/// Brain-inspired modular training (BIMT; Liu, Gan and Tegmark 2023, "Seeing is Believing: Brain-Inspired Modular
/// Training for Mechanistic Interpretability", arXiv 2305.08746). Every neuron sits at a coordinate on a line per layer;
/// the loss gains λ times a connection cost, Σ over connections of |w|·(A·distance + l0), and every
/// <see cref="SwapEvery"/> steps the heaviest neurons of each layer may swap places when that lowers the cost (a swap
/// does not change the function). The constants are the authors' (github.com/KindXiaoming/BIMT, the modular-addition
/// notebook: weight_factor = 2, l0 = 0.5, swap_log = 200, top_k = 30); docs/bimt.md lays out the coordinates of this
/// transformer, and the engine's LocalityCost computes the cost.
/// </summary>
/// <param name="Lambda">λ at the start of training; <see cref="LambdaAt"/> gives the schedule.</param>
public sealed record BimtSettings(double Lambda)
{
    /// <summary>Steps between two rounds of swaps; the engine trains full batch, so a step is an epoch.</summary>
    public const int SwapEvery = 200;

    /// <summary>Neurons per layer that try a swap each round: those with the largest Σ|w| over their connections.</summary>
    public const int Candidates = 30;

    /// <summary>A: the weight of the distance along the line against the gap between layers.</summary>
    public const double DistanceWeight = 2.0;

    /// <summary>l0: the distance between two neighbouring layers, which every connection pays.</summary>
    public const double LayerGap = 0.5;

    /// <summary>
    /// λ at step <paramref name="step"/> (0-based) of a run of <paramref name="epochs"/> steps, the authors' schedule:
    /// λ until ⌊epochs/4⌋, 10λ from there until ⌊3·epochs/4⌋, λ again after.
    /// </summary>
    public double LambdaAt(long step, int epochs)
    {
        long quarter = epochs / 4, threeQuarters = 3L * epochs / 4;
        return step >= quarter && step < threeQuarters ? 10 * Lambda : Lambda;
    }

    public IEnumerable<string> Problems()
    {
        if (!(Lambda > 0) || double.IsInfinity(Lambda)) yield return $"bimt lambda must be positive and finite (got {Lambda}).";
    }

    /// <summary>λ as the CLI takes it and the resume state records it (round-trip formatting).</summary>
    public override string ToString() => Lambda.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Parses λ, e.g. "0.1"; throws <see cref="Model.ConfigException"/> saying what was wrong.</summary>
    public static BimtSettings Parse(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var lambda)
            ? new BimtSettings(lambda)
            : throw new Model.ConfigException($"--bimt takes LAMBDA, a positive number such as 0.1 (got '{text}').");
}
