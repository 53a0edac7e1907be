using BitOnnx.Core.Training;

namespace BitOnnx.Torch.Training;

/// <summary>TorchSharp (libtorch 2.10 CPU) as a training backend: same run folder and checkpoints as the engine's.</summary>
public sealed class TorchSharpBackend : ITrainingBackend
{
    public static TorchSharpBackend Instance { get; } = new();

    public string Name => "torchsharp";

    /// <summary>Throws <see cref="TorchUnavailableException"/> (one sentence naming what is missing) when libtorch cannot load.</summary>
    public ITrainingStep Create(TrainingSetup setup) => new TorchTrainingStep(setup);
}
