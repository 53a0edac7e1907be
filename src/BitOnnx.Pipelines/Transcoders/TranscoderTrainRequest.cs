using BitOnnx.Core.Transcoders;
using BitOnnx.Engine.Transcoders;

namespace BitOnnx.Pipelines.Transcoders;

/// <summary>What <c>bitonnx transcoder train</c> asks for: a model, the transcoder's shape and sparsity, its training, a folder.</summary>
/// <param name="L1Coefficient">Null: a TopK transcoder of <paramref name="K"/>; given: an L1 transcoder with this λ.</param>
public sealed record TranscoderTrainRequest(
    string ModelPath,
    string OutputFolder,
    int Width,
    int K,
    double? L1Coefficient = null,
    long Seed = 0,
    TranscoderTrainingSettings? Training = null,
    int Threads = 0)
{
    public TranscoderKind Kind => L1Coefficient is null ? TranscoderKind.TopK : TranscoderKind.L1;

    /// <summary>The config for a model of width <paramref name="dModel"/>, validated.</summary>
    public TranscoderConfig Config(int dModel) =>
        new TranscoderConfig(Kind, dModel, dModel, Width, K, L1Coefficient ?? 0, Seed).Validated();
}
