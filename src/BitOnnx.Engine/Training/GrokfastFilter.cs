using System.Runtime.Intrinsics;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Engine.Training;

/// <summary>
/// Grokfast-EMA on the latent gradient, before AdamW. The order and the first step follow the authors' code
/// (github.com/ironjr/grokfast, grokfast.py, gradfilter_ema): the average starts as the first gradient itself, then
/// every step, the first included, does ema ← ema·α + g·(1 − α) and g ← g + ema·λ, in float32 with α, 1 − α and λ
/// rounded to float as PyTorch does for a Python scalar. No fused multiply-adds, so the vector path and
/// <see cref="ApplyReference"/> agree bit for bit on every machine.
/// </summary>
public sealed class GrokfastFilter(GrokfastSettings settings, ParameterSet? average)
{
    public GrokfastSettings Settings { get; } = settings;

    /// <summary>The running average; null until the first step.</summary>
    public ParameterSet? Average { get; private set; } = average?.Clone();

    public void Apply(ParameterSet gradient)
    {
        using var timing = EpochProfile.Time(EpochPart.GradientFilter);
        Average ??= gradient.Clone();
        var (alpha, keep, lambda) = Factors(Settings);
        var g = gradient.Data.AsSpan();
        var ema = Average.Data.AsSpan();
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256<float>.Count;
            var (a, k, l) = (Vector256.Create(alpha), Vector256.Create(keep), Vector256.Create(lambda));
            for (; i <= g.Length - lanes; i += lanes)
            {
                var gi = Vector256.Create(g.Slice(i, lanes));
                var ei = Vector256.Create(ema.Slice(i, lanes)) * a + gi * k;
                ei.CopyTo(ema.Slice(i, lanes));
                (gi + ei * l).CopyTo(g.Slice(i, lanes));
            }
        }
        for (; i < g.Length; i++)
        {
            ema[i] = ema[i] * alpha + g[i] * keep;
            g[i] += ema[i] * lambda;
        }
    }

    /// <summary>The same update one element at a time: the scalar twin the tests hold the vector path to.</summary>
    public static void ApplyReference(GrokfastSettings settings, float[] average, float[] gradient)
    {
        var (alpha, keep, lambda) = Factors(settings);
        for (var i = 0; i < gradient.Length; i++)
        {
            average[i] = average[i] * alpha + gradient[i] * keep;
            gradient[i] = gradient[i] + average[i] * lambda;
        }
    }

    private static (float Alpha, float Keep, float Lambda) Factors(GrokfastSettings s) =>
        ((float)s.Alpha, (float)(1 - s.Alpha), (float)s.Lambda);
}
