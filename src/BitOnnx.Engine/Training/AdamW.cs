using System.Runtime.Intrinsics;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;

namespace BitOnnx.Engine.Training;

/// <summary>AdamW over a <see cref="ParameterSet"/>; the moments share its layout. Same arithmetic as torch.optim.AdamW.</summary>
public sealed class AdamW
{
    public AdamW(AdamWSettings settings, ParameterSet parameters)
    {
        Settings = settings;
        FirstMoment = parameters.ZerosLike();
        SecondMoment = parameters.ZerosLike();
    }

    /// <summary>An optimizer for <paramref name="parameters"/>, continuing from <paramref name="state"/> when given.</summary>
    public static AdamW From(AdamWSettings settings, ParameterSet parameters, OptimizerState? state)
    {
        var optimizer = new AdamW(settings, parameters);
        if (state is null) return optimizer;
        state.FirstMoment.Data.CopyTo(optimizer.FirstMoment.Data, 0);
        state.SecondMoment.Data.CopyTo(optimizer.SecondMoment.Data, 0);
        optimizer.Step = state.Step;
        return optimizer;
    }

    public AdamWSettings Settings { get; }
    public ParameterSet FirstMoment { get; }
    public ParameterSet SecondMoment { get; }
    /// <summary>Steps taken so far.</summary>
    public long Step { get; set; }

    /// <summary>One step at the settings' learning rate for this step (warm-up included).</summary>
    public void Update(ParameterSet parameters, ParameterSet gradient) => Update(parameters, gradient, Settings.LearningRateAt(Step));

    /// <summary>One step at a learning rate the caller schedules (a transcoder's decays).</summary>
    public void Update(ParameterSet parameters, ParameterSet gradient, double lr)
    {
        using var timing = EpochProfile.Time(EpochPart.AdamW);
        var s = Settings;
        Step++;
        var decay = (float)(1 - lr * s.WeightDecay);
        float beta1 = (float)s.Beta1, beta2 = (float)s.Beta2;
        var stepSize = (float)(lr / (1 - Math.Pow(s.Beta1, Step)));
        var rootCorrection2 = (float)Math.Sqrt(1 - Math.Pow(s.Beta2, Step));
        var eps = (float)s.Epsilon;
        var p = parameters.Data.AsSpan();
        var g = gradient.Data.AsSpan();
        var m = FirstMoment.Data.AsSpan();
        var v = SecondMoment.Data.AsSpan();
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // The same IEEE operations lane by lane (no fused multiply-adds), so the vector and scalar loops agree bit
            // for bit. One 256-bit path serves AVX2 and AVX-512 machines alike: AdamW is ~0.1% of an epoch, so a wider
            // copy would buy nothing measurable.
            var lanes = Vector256<float>.Count;
            var (vDecay, vBeta1, vBeta2) = (Vector256.Create(decay), Vector256.Create(beta1), Vector256.Create(beta2));
            var (vOneMinus1, vOneMinus2) = (Vector256.Create(1 - beta1), Vector256.Create(1 - beta2));
            var (vStep, vRoot, vEps) = (Vector256.Create(stepSize), Vector256.Create(rootCorrection2), Vector256.Create(eps));
            for (; i <= p.Length - lanes; i += lanes)
            {
                var gi = Vector256.Create(g.Slice(i, lanes));
                var pi = Vector256.Create(p.Slice(i, lanes)) * vDecay;
                var mi = vBeta1 * Vector256.Create(m.Slice(i, lanes)) + vOneMinus1 * gi;
                var vi = vBeta2 * Vector256.Create(v.Slice(i, lanes)) + vOneMinus2 * gi * gi;
                pi -= vStep * mi / (Vector256.Sqrt(vi) / vRoot + vEps);
                pi.CopyTo(p.Slice(i, lanes));
                mi.CopyTo(m.Slice(i, lanes));
                vi.CopyTo(v.Slice(i, lanes));
            }
        }
        for (; i < p.Length; i++)
        {
            p[i] *= decay;
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            p[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / rootCorrection2 + eps);
        }
    }
}
