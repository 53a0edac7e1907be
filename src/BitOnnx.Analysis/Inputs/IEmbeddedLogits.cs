namespace BitOnnx.Analysis.Inputs;

/// <summary>
/// The model as a function of its embedded input, for gradients with respect to the input embeddings
/// (gradient symmetricity, Zhong et al. 2023). The integrator backs it by an ONNX export whose input is the
/// embedded sequence.
/// </summary>
public interface IEmbeddedLogits
{
    /// <summary>Width of one embedded token.</summary>
    int DModel { get; }

    /// <summary>Sequence length (3 for [a, b, =]).</summary>
    int NCtx { get; }

    /// <summary>
    /// Last-position logits [batch, P] for <paramref name="embedded"/> [batch, n_ctx, d_model]: token embeddings as
    /// <c>hook_embed</c> holds them (the model adds positional embeddings itself, when it has them).
    /// </summary>
    double[] Logits(double[] embedded, int batch);
}
