namespace BitOnnx.Core.Model;

/// <summary>How the quantizable linears (W_Q, W_K, W_V, W_O, W_in, W_out) are represented in the forward pass.</summary>
public enum WeightQuantization
{
    /// <summary>Full precision.</summary>
    None,
    /// <summary>BitNet (Wang et al. 2023): sign(W − mean W), optionally scaled by mean|W|.</summary>
    Binary,
    /// <summary>BitNet b1.58 (Ma et al. 2024): γ·clamp(round((W − mean W)/γ), −1, 1), γ = max(mean|W − mean W|, 1e-5).</summary>
    Ternary,
}

/// <summary>Scale applied to binary weights. Li (2024) applies none; BitNet proper multiplies by β = mean|W|.</summary>
public enum BinaryScale
{
    None,
    AbsMean,
}

/// <summary>How the parameters are drawn at the start of training.</summary>
public enum InitScheme
{
    /// <summary>Nanda et al. 2023: randn / sqrt(d_model) everywhere, W_U randn / sqrt(d_vocab).</summary>
    Nanda2023,
    /// <summary>PyTorch defaults as in Li (2024): linears U(±1/sqrt(fan_in)), embeddings N(0, 1).</summary>
    PyTorchDefault,
}

/// <summary>
/// Which weight matrices the binary/ternary modes quantize. The positional embedding and the RMSNorm gain stay float in
/// both scopes: they are vectors of a few hundred values (a per-channel scale and three position rows), a rounding
/// error of the file's size, and BitNet keeps norm parameters in full precision too (docs/fully-quantized.md).
/// </summary>
public enum QuantScope
{
    /// <summary>The six linears of every block (W_Q, W_K, W_V, W_O, W_in, W_out), as in Li (2024).</summary>
    Linears,
    /// <summary>The linears and the embedding W_E and unembedding W_U: a fully binary / ternary network.</summary>
    All,
}
