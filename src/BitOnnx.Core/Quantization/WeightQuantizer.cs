using BitOnnx.Core.Model;

namespace BitOnnx.Core.Quantization;

/// <summary>
/// Per-tensor weight quantizers with the straight-through estimator of Li (2024)'s code (MISSION.md).
/// Everything is computed in double and rounded once, so the folded ONNX weights and the engine agree exactly.
/// </summary>
public static class WeightQuantizer
{
    /// <summary>Ternary scale floor from BitNet b1.58: keeps γ away from zero when all weights are equal.</summary>
    public const double TernaryScaleFloor = 1e-5;

    /// <summary>
    /// Writes the forward-pass weight into <paramref name="effective"/> and returns the tensor's scale: the value a
    /// code of ±1 stands for (1 for unscaled binary and full precision).
    /// </summary>
    public static float Quantize(ReadOnlySpan<float> latent, Span<float> effective, WeightQuantization mode, BinaryScale binaryScale)
    {
        if (effective.Length != latent.Length) throw new ArgumentException("latent and effective must have the same length.");
        if (mode == WeightQuantization.None)
        {
            latent.CopyTo(effective);
            return 1f;
        }
        var codes = effective;
        var scale = Codes(latent, codes, mode, binaryScale);
        for (var i = 0; i < codes.Length; i++) codes[i] *= scale;
        return scale;
    }

    /// <summary>
    /// Integer codes in {−1, 0, +1} (written as floats) and the per-tensor scale, so that effective = scale · code.
    /// Binary follows torch.sign as Li's code does: a weight exactly at the mean gets code 0. Ternary rounds half to even.
    /// </summary>
    public static float Codes(ReadOnlySpan<float> latent, Span<float> codes, WeightQuantization mode, BinaryScale binaryScale)
    {
        if (codes.Length != latent.Length) throw new ArgumentException("latent and codes must have the same length.");
        if (mode == WeightQuantization.None) throw new ArgumentException("Full-precision weights have no codes.", nameof(mode));
        if (latent.Length == 0) return 1f;
        var mean = Mean(latent);
        if (mode == WeightQuantization.Binary)
        {
            double absSum = 0;
            for (var i = 0; i < latent.Length; i++)
            {
                codes[i] = Math.Sign(latent[i] - mean);
                absSum += Math.Abs(latent[i]);
            }
            // BitNet's β is the mean magnitude of the latent weights themselves (Wang et al. 2023, eq. 3).
            return binaryScale == BinaryScale.AbsMean ? (float)(absSum / latent.Length) : 1f;
        }

        double centredAbsSum = 0;
        for (var i = 0; i < latent.Length; i++) centredAbsSum += Math.Abs(latent[i] - mean);
        var gamma = Math.Max(centredAbsSum / latent.Length, TernaryScaleFloor);
        for (var i = 0; i < latent.Length; i++)
            codes[i] = (float)Math.Clamp(Math.Round((latent[i] - mean) / gamma, MidpointRounding.ToEven), -1, 1);
        return (float)gamma;
    }

    /// <summary>
    /// Straight-through estimator: the forward pass used q(c) with c = W − mean(W), and the backward pass treats q as
    /// the identity on c. Since ∂c_i/∂W_j = δ_ij − 1/n, the latent gradient is G − mean(G) (the mean is not detached).
    /// Full precision passes the gradient unchanged.
    /// </summary>
    public static void StraightThrough(Span<float> gradient, WeightQuantization mode)
    {
        var offset = StraightThroughOffset(gradient, mode);
        for (var i = 0; i < gradient.Length; i++) gradient[i] -= offset;
    }

    /// <summary>What <see cref="StraightThrough"/> subtracts from every element: mean(G) when quantized, else 0.</summary>
    public static float StraightThroughOffset(ReadOnlySpan<float> gradient, WeightQuantization mode) =>
        mode == WeightQuantization.None || gradient.Length == 0 ? 0f : (float)Mean(gradient);

    private static double Mean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }
}
