using BitOnnx.Core.Training;

namespace BitOnnx.Engine.Training;

/// <summary>The managed SIMD engine as a training backend: the default, and the one the equivalence tests start from.</summary>
public sealed class EngineBackend : ITrainingBackend
{
    public static EngineBackend Instance { get; } = new();

    public string Name => "engine";

    public bool TrainsBimt => true;

    public ITrainingStep Create(TrainingSetup setup) => new TrainingStep(setup);
}
