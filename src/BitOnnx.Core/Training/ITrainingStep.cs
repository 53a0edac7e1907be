using BitOnnx.Core.Data;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Training;

/// <summary>Mean loss and accuracy over a set of rows.</summary>
public readonly record struct Evaluation(double Loss, double Accuracy);

/// <summary>Everything a backend needs to start a run, or to continue one from its resume state.</summary>
/// <param name="Parameters">The latent weights to start from; the backend copies them.</param>
/// <param name="Optimizer">The optimizer state to continue from, or null for a fresh optimizer.</param>
public sealed record TrainingSetup(TransformerConfig Config, TrainingOptions Options, ModularAdditionData Data,
    ParameterSet Parameters, OptimizerState? Optimizer);

/// <summary>
/// One backend's full-batch epoch (quantize, forward, backward, straight-through estimator, AdamW) and its test
/// evaluation. <see cref="Trainer"/> owns the loop, the files and resume; a backend owns only the arithmetic, so every
/// backend writes the same run folder.
/// </summary>
public interface ITrainingStep : IDisposable
{
    /// <summary>One optimizer step on the whole train set; returns the train loss of its forward pass (pre-update).</summary>
    double Run();

    /// <summary>Loss and accuracy on the test rows with the current weights.</summary>
    Evaluation Evaluate();

    /// <summary>A copy of the current latent weights, in the layout of <see cref="ParameterSet.Zeros"/>.</summary>
    ParameterSet ReadParameters();

    /// <summary>A copy of the optimizer state, enough to continue bit-identically.</summary>
    OptimizerState ReadOptimizer();
}

/// <summary>A way to train (the managed engine, TorchSharp): makes a step for a setup.</summary>
public interface ITrainingBackend
{
    /// <summary>The name a user picks it by (<c>--backend</c>).</summary>
    string Name { get; }

    ITrainingStep Create(TrainingSetup setup);
}
