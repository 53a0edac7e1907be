using System.Globalization;

namespace BitOnnx.Core.Transcoders;

/// <summary>How a transcoder keeps its latents sparse.</summary>
public enum TranscoderKind
{
    /// <summary>latents = TopK(ReLU(x·W_enc + b_enc)), loss FVU (EleutherAI sparsify; no L1 term, no AuxK).</summary>
    TopK,

    /// <summary>latents = ReLU(x·W_enc + b_enc), loss ‖y − ŷ‖² + λ‖f‖₁ (Dunefsky et al. 2024, arXiv 2406.11944).</summary>
    L1,
}

/// <summary>
/// The shape and sparsity of a transcoder (a wider MLP with sparse latents standing in for a model's MLP): it reads
/// <see cref="HookIn"/> ([d_in] per row) and predicts <see cref="HookOut"/> ([d_out]). Named as SAELens' config names
/// its fields (d_in, d_sae as <see cref="Width"/>, k, l1_coefficient).
/// </summary>
/// <param name="K">Latents kept per row (TopK); ignored by L1.</param>
/// <param name="L1Coefficient">λ of the L1 penalty; ignored by TopK.</param>
/// <param name="Seed">Seed of the encoder's initialisation and of the minibatch order.</param>
public sealed record TranscoderConfig(
    TranscoderKind Kind,
    int DIn,
    int DOut,
    int Width,
    int K,
    double L1Coefficient,
    long Seed,
    string HookIn = TranscoderConfig.MlpInput,
    string HookOut = TranscoderConfig.MlpOutput)
{
    /// <summary>The MLP's input in a one-layer model: the residual stream after attention.</summary>
    public const string MlpInput = "blocks.0.hook_resid_mid";

    /// <summary>The MLP's output.</summary>
    public const string MlpOutput = "blocks.0.hook_mlp_out";

    /// <summary>Every problem with the settings, each one sentence; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Width < 1) problems.Add($"The width {Width} is not positive; give the number of latents (e.g. --width 512).");
        if (DIn < 1 || DOut < 1) problems.Add($"d_in {DIn} and d_out {DOut} must be positive.");
        if (Kind == TranscoderKind.TopK)
        {
            if (K < 1) problems.Add($"k = {K} keeps no latent; give k ≥ 1 (e.g. --k 8).");
            else if (Width >= 1 && K > Width) problems.Add($"k = {K} is larger than the width {Width}; give k ≤ width.");
        }
        if (Kind == TranscoderKind.L1 && !(L1Coefficient >= 0 && double.IsFinite(L1Coefficient)))
            problems.Add($"The L1 coefficient {L1Coefficient.ToString(CultureInfo.InvariantCulture)} is not a finite non-negative number.");
        return problems;
    }

    /// <summary>This config, or a <see cref="TranscoderConfigException"/> listing every problem.</summary>
    public TranscoderConfig Validated()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new TranscoderConfigException(string.Join(" ", problems));
    }

    /// <summary>Latents a row can have active: k for TopK, the width for L1.</summary>
    public int MaxActive => Kind == TranscoderKind.TopK ? K : Width;
}

/// <summary>Transcoder settings that cannot work together.</summary>
public sealed class TranscoderConfigException(string message) : BitOnnxException(message);
