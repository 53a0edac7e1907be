namespace BitOnnx.Analysis.Inputs;

/// <summary>
/// The model as a function of its embedded input, for gradients with respect to the input embeddings
/// (gradient symmetricity, Zhong et al. 2023). BitOnnx backs it by an ONNX graph whose input is the embedded sequence
/// (<see cref="Onnx.OnnxEmbeddedLogits"/>).
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

    /// <summary>How the function is computed (which graph, which precision), for the report.</summary>
    string Description => "an embedded-input model";

    /// <summary>Central-difference step, as a fraction of the RMS of the number-token embeddings, that suits its precision.</summary>
    double RecommendedRelativeStep => 1e-3;
}
