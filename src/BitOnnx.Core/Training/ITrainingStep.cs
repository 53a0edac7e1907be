using BitOnnx.Core.Data;
using BitOnnx.Core.Model;

namespace BitOnnx.Core.Training;

/// <summary>Mean loss and accuracy over a set of rows.</summary>
public readonly record struct Evaluation(double Loss, double Accuracy);

/// <summary>Everything a backend needs to start a run, or to continue one from its resume state.</summary>
/// <param name="Parameters">The latent weights to start from; the backend copies them.</param>
/// <param name="Optimizer">The optimizer state to continue from, or null for a fresh optimizer.</param>
public sealed record TrainingSetup(TransformerConfig Config, TrainingOptions Options, ModularAdditionData Data,
    ParameterSet Parameters, OptimizerState? Optimizer)
{
    /// <summary>With BIMT, where its swaps have put each head and neuron so far (null: none moved yet).</summary>
    public NeuronLayout? Layout { get; init; }
}

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

/// <summary>
/// A step that trains with BIMT (<see cref="TrainingOptions.Bimt"/>): the locality cost's gradient in every step, and
/// a round of swaps when <see cref="Trainer"/> asks for one. Swaps move places, never weights: the step's weights and
/// optimizer state stay in their slots, and <see cref="Layout"/> says where each unit now sits.
/// </summary>
public interface IBimtTrainingStep : ITrainingStep
{
    /// <summary>A copy of where each head and MLP neuron sits now.</summary>
    NeuronLayout Layout { get; }

    /// <summary>The locality cost (without λ) of the current weights at their current places.</summary>
    double LocalityCost();

    /// <summary>One round of swaps (docs/bimt.md), recorded as done after <paramref name="epoch"/>; returns them in order.</summary>
    IReadOnlyList<NeuronSwap> Relocate(int epoch);
}

/// <summary>A way to train (the managed engine, TorchSharp): makes a step for a setup.</summary>
public interface ITrainingBackend
{
    /// <summary>The name a user picks it by (<c>--backend</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Whether its steps are <see cref="IBimtTrainingStep"/>s; <see cref="Trainer"/> refuses --bimt on a backend that
    /// does not say so, before it writes a file.
    /// </summary>
    bool TrainsBimt => false;

    ITrainingStep Create(TrainingSetup setup);
}
