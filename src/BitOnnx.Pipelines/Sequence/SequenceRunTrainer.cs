using BitOnnx.Core.Model;
using BitOnnx.Core.Tasks;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Sequence;
using BitOnnx.Torch.Sequence;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>
/// A sequence trainer as <see cref="SequenceTrainingPipeline"/> drives it, whichever backend holds the model: both
/// start from the same initial weights, log the same metrics and save the same <see cref="Core.Checkpoints.SequenceCheckpoint"/> format.
/// </summary>
public interface ISequenceRunTrainer : IDisposable
{
    /// <summary>Steps taken so far.</summary>
    long Step { get; }

    SequenceModelConfig Config { get; }

    /// <summary>The model's logits without gradients, for the evaluation and the cascade cases.</summary>
    SequenceLogits Logits { get; }

    /// <summary>Trains to the options' steps or until <paramref name="cancellation"/> is set; the observer hears scored steps on this thread.</summary>
    void Run(Action<SequenceTrainingProgress> observer, CancellationToken cancellation);

    /// <summary>The resume state: weights, step and AdamW's moments.</summary>
    void Save(string path);

    /// <summary>The weights under TransformerLens names.</summary>
    IReadOnlyList<NamedTensor> Weights();
}

/// <summary>TorchSharp's <see cref="SequenceTrainer"/> behind <see cref="ISequenceRunTrainer"/>.</summary>
public sealed class TorchSequenceRunTrainer(SequenceTrainer trainer) : ISequenceRunTrainer
{
    public long Step => trainer.Step;
    public SequenceModelConfig Config => trainer.Model.Config;
    public SequenceLogits Logits => trainer.Model.Logits;
    public void Run(Action<SequenceTrainingProgress> observer, CancellationToken cancellation) => trainer.Run(observer, cancellation);
    public void Save(string path) => trainer.Save(path);
    public IReadOnlyList<NamedTensor> Weights() => trainer.Model.ToNamedTensors();
    public void Dispose() => trainer.Dispose();
}

/// <summary>The engine's <see cref="EngineSequenceTrainer"/> behind <see cref="ISequenceRunTrainer"/>.</summary>
public sealed class EngineSequenceRunTrainer(EngineSequenceTrainer trainer) : ISequenceRunTrainer
{
    public long Step => trainer.Step;
    public SequenceModelConfig Config => trainer.Model.Config;
    public SequenceLogits Logits => trainer.Model.Logits;
    public void Run(Action<SequenceTrainingProgress> observer, CancellationToken cancellation) => trainer.Run(observer, cancellation);
    public void Save(string path) => trainer.Save(path);
    public IReadOnlyList<NamedTensor> Weights() => trainer.Model.ToNamedTensors();

    public void Dispose()
    {
    }
}
