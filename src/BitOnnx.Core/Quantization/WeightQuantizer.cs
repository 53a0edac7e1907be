using System.Runtime.Intrinsics;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Quantization;

/// <summary>
/// Per-tensor weight quantizers with the straight-through estimator of Li (2024)'s code (docs/recipe.md).
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
        var scale = Codes(latent, effective, mode, binaryScale);
        if (scale != 1f)
            for (var i = 0; i < effective.Length; i++) effective[i] *= scale;
        return scale;
    }

    /// <summary>
    /// Integer codes in {−1, 0, +1} (written as floats) and the per-tensor scale, so that effective = scale · code.
    /// Binary follows torch.sign as Li's code does: a weight exactly at the mean gets code 0. Ternary rounds half to even.
    /// The arithmetic is double precision, 256-bit vectors (eight floats widened to two sets of four doubles) on every
    /// machine with AVX2 or AVX-512 alike, so the sums are added in one order whatever the CPU;
    /// <see cref="WeightQuantizerReference"/> is the scalar twin.
    /// </summary>
    public static float Codes(ReadOnlySpan<float> latent, Span<float> codes, WeightQuantization mode, BinaryScale binaryScale)
    {
        if (codes.Length != latent.Length) throw new ArgumentException("latent and codes must have the same length.");
        if (mode == WeightQuantization.None) throw new ArgumentException("Full-precision weights have no codes.", nameof(mode));
        if (latent.Length == 0) return 1f;
        if (!Vector256.IsHardwareAccelerated) return WeightQuantizerReference.Codes(latent, codes, mode, binaryScale);
        var mean = Mean(latent);
        var lanes = Vector256<float>.Count;
        var tail = latent.Length - latent.Length % lanes;
        var meanVector = Vector256.Create(mean);
        if (mode == WeightQuantization.Binary)
        {
            var one = Vector256.Create(1.0);
            for (var i = 0; i < tail; i += lanes)
            {
                var (low, high) = Vector256.Widen(Vector256.Create(latent.Slice(i, lanes)));
                Vector256.Narrow(Sign(low - meanVector, one), Sign(high - meanVector, one)).CopyTo(codes.Slice(i, lanes));
            }
            for (var i = tail; i < latent.Length; i++) codes[i] = Math.Sign(latent[i] - mean);
            // BitNet's β is the mean magnitude of the latent weights themselves (Wang et al. 2023, eq. 3).
            return binaryScale == BinaryScale.AbsMean ? (float)(SumAbs(latent, 0) / latent.Length) : 1f;
        }

        var gamma = Math.Max(SumAbs(latent, mean) / latent.Length, TernaryScaleFloor);
        var gammaVector = Vector256.Create(gamma);
        var limit = Vector256.Create(1.0);
        for (var i = 0; i < tail; i += lanes)
        {
            var (low, high) = Vector256.Widen(Vector256.Create(latent.Slice(i, lanes)));
            var qLow = Vector256.Clamp(Vector256.Round((low - meanVector) / gammaVector), -limit, limit);
            var qHigh = Vector256.Clamp(Vector256.Round((high - meanVector) / gammaVector), -limit, limit);
            Vector256.Narrow(qLow, qHigh).CopyTo(codes.Slice(i, lanes));
        }
        for (var i = tail; i < latent.Length; i++)
            codes[i] = (float)Math.Clamp(Math.Round((latent[i] - mean) / gamma, MidpointRounding.ToEven), -1, 1);
        return (float)gamma;
    }

    /// <summary>−1, 0 or +1 per lane, as Math.Sign.</summary>
    private static Vector256<double> Sign(Vector256<double> x, Vector256<double> one) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<double>.Zero), one, Vector256<double>.Zero)
        - Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<double>.Zero), one, Vector256<double>.Zero);

    /// <summary>Σ |x − offset| in double.</summary>
    private static double SumAbs(ReadOnlySpan<float> values, double offset)
    {
        var lanes = Vector256<float>.Count;
        var tail = values.Length - values.Length % lanes;
        var shift = Vector256.Create(offset);
        var acc = Vector256<double>.Zero;
        for (var i = 0; i < tail; i += lanes)
        {
            var (low, high) = Vector256.Widen(Vector256.Create(values.Slice(i, lanes)));
            acc += Vector256.Abs(low - shift) + Vector256.Abs(high - shift);
        }
        var sum = Vector256.Sum(acc);
        for (var i = tail; i < values.Length; i++) sum += Math.Abs(values[i] - offset);
        return sum;
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

    internal static double Mean(ReadOnlySpan<float> values)
    {
        if (!Vector256.IsHardwareAccelerated) return WeightQuantizerReference.Mean(values);
        var lanes = Vector256<float>.Count;
        var tail = values.Length - values.Length % lanes;
        var acc = Vector256<double>.Zero;
        for (var i = 0; i < tail; i += lanes)
        {
            var (low, high) = Vector256.Widen(Vector256.Create(values.Slice(i, lanes)));
            acc += low + high;
        }
        var sum = Vector256.Sum(acc);
        for (var i = tail; i < values.Length; i++) sum += values[i];
        return sum / values.Length;
    }
}
