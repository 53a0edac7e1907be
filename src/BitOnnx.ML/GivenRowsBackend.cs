using BitOnnx.Core.Data;
using BitOnnx.Core.Training;

namespace BitOnnx.ML;

/// <summary>
/// A backend that trains on the rows an IDataView gave, not on the seeded split Core's Trainer draws, so that Fit uses
/// Trainer's one loop (divergence check, metrics, checkpoints, cancellation) over the data it was handed.
/// </summary>
internal sealed class GivenRowsBackend(ITrainingBackend inner, ModularAdditionData data) : ITrainingBackend
{
    public string Name => inner.Name;

    public ITrainingStep Create(TrainingSetup setup) => inner.Create(setup with { Data = data });
}
