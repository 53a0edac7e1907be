using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using BitOnnx.Engine.Model;

namespace BitOnnx.Engine.Tests.Model;

/// <summary>Small configs of both presets, small enough for a double-precision reference and finite differences.</summary>
public static class TinyModels
{
    public static TransformerConfig Config(string preset, WeightQuantization mode, int layers = 1, QuantScope scope = QuantScope.Linears) =>
        TransformerConfig.FromPreset(preset) with
        {
            P = 5,
            DModel = 8,
            NHeads = 2,
            DHead = 4,
            DMlp = 12,
            NLayers = layers,
            Quantization = mode,
            QuantScope = scope,
        };

    /// <summary>The same shapes computed in full precision: what a model with already-quantized weights loads as.</summary>
    public static TransformerConfig FullPrecision(TransformerConfig c) =>
        c with { Quantization = WeightQuantization.None, QuantScope = QuantScope.Linears };

    public static (int[] Tokens, int[] Targets) AllPairs(int p)
    {
        var rows = ModularAdditionData.AllRows(p);
        return (ModularAdditionData.Tokens(p, rows), ModularAdditionData.Targets(p, rows));
    }

    /// <summary>The latent parameters with every quantizable tensor replaced by its quantized value.</summary>
    public static ParameterSet Quantized(TransformerConfig c, ParameterSet latent)
    {
        var effective = latent.Clone();
        if (c.Quantization == WeightQuantization.None) return effective;
        foreach (var info in effective.Entries.Where(e => e.Quantizable))
            WeightQuantizer.Quantize(latent.Slice(info), effective.Slice(info), c.Quantization, c.BinaryScale);
        return effective;
    }

    /// <summary>Loss and gradient (TransformerLens layout, through the STE for quantized modes) from the engine.</summary>
    public static (double Loss, ParameterSet Gradient) EngineGradient(TransformerConfig c, ParameterSet latent, int[] tokens, int[] targets,
        bool lastPositionOnly = true, int threads = 1)
    {
        var ws = new Workspace(c, tokens, targets, lastPositionOnly, withGradients: true);
        var weights = new EffectiveWeights(c);
        weights.LoadFrom(latent);
        var grad = new EffectiveWeights(c);
        var loss = TransformerForward.Run(weights, ws, threads).Loss;
        TransformerBackward.Run(weights, ws, grad, threads);
        var latentGradient = latent.ZerosLike();
        grad.AccumulateInto(latentGradient);
        return (loss, latentGradient);
    }
}
