using BitOnnx.Core.Model;
using BitOnnx.Core.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Model;

/// <summary>
/// The per-tensor weight quantizers of MISSION.md as an autograd expression, with Li (2024)'s straight-through estimator.
/// Forward: the quantized weight, computed as the engine's WeightQuantizer does (mean, γ and codes in float64, codes
/// times a float32 scale), so the two backends use the same codes. Backward: with c = W − mean(W) in float32 the result
/// is q + (c − c.detach()), whose value is exactly q and whose gradient with respect to W is G − mean(G).
/// </summary>
public static class StraightThroughQuantizer
{
    public static Tensor Effective(Tensor latent, WeightQuantization mode, BinaryScale binaryScale)
    {
        if (mode == WeightQuantization.None) return latent;
        using var scope = torch.NewDisposeScope();
        var quantized = Quantized(latent, mode, binaryScale);
        var centred = latent - latent.mean();
        return scope.MoveToOuter(quantized.Plus(centred - centred.detach()));
    }

    /// <summary>The forward-pass weight without a gradient: scale · code, as float32.</summary>
    public static Tensor Quantized(Tensor latent, WeightQuantization mode, BinaryScale binaryScale)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (codes, scale) = Codes(latent, mode, binaryScale);
        return scope.MoveToOuter(scale is null ? codes : codes * scale);
    }

    /// <summary>Codes in {−1, 0, +1} as float32, and the float32 scale they stand for (null: 1).</summary>
    public static (Tensor Codes, Tensor? Scale) Codes(Tensor latent, WeightQuantization mode, BinaryScale binaryScale)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var wide = latent.detach().to(ScalarType.Float64);
        var centred = wide - wide.mean();
        if (mode == WeightQuantization.Binary)
        {
            // torch.sign, as Li's code: a weight exactly at the mean gets code 0. BitNet's β is mean|W| of the latent weights.
            var signs = centred.sign().to(ScalarType.Float32);
            return binaryScale == BinaryScale.AbsMean
                ? scope.MoveToOuter(signs, wide.abs().mean().to(ScalarType.Float32))
                : (scope.MoveToOuter(signs), null);
        }
        var gamma = centred.abs().mean().AtLeast(WeightQuantizer.TernaryScaleFloor);
        // torch.round rounds half to even, as the engine's MidpointRounding.ToEven.
        var codes = (centred / gamma).round().Clamped(-1, 1).to(ScalarType.Float32);
        return scope.MoveToOuter(codes, gamma.to(ScalarType.Float32));
    }
}
