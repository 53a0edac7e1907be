using BitOnnx.Core.Model;

namespace BitOnnx.Core.Quantization;

/// <summary>The quantizers' codes written as plain scalar loops in double, the reference the fast path is tested against.</summary>
public static class WeightQuantizerReference
{
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
        var gamma = Math.Max(centredAbsSum / latent.Length, WeightQuantizer.TernaryScaleFloor);
        for (var i = 0; i < latent.Length; i++)
            codes[i] = (float)Math.Clamp(Math.Round((latent[i] - mean) / gamma, MidpointRounding.ToEven), -1, 1);
        return (float)gamma;
    }

    public static double Mean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }
}
