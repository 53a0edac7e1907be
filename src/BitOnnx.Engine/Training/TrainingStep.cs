using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Engine.Model;

namespace BitOnnx.Engine.Training;

/// <summary>
/// The engine's full-batch epoch (quantize, forward, backward, STE, BIMT's locality cost and Grokfast when asked, AdamW)
/// and the test evaluation, with every buffer allocated once. The trainer loops over it; benchmarks time it.
/// </summary>
public sealed class TrainingStep : IBimtTrainingStep
{
    private readonly TransformerConfig _config;
    private readonly ParameterSet _parameters;
    private readonly AdamW _optimizer;
    private readonly int _threads;
    private readonly Workspace _train;
    private readonly Workspace _test;
    private readonly EffectiveWeights _weights;
    private readonly EffectiveWeights _weightGradient;
    private readonly ParameterSet _latentGradient;
    private readonly GrokfastFilter? _grokfast;
    private readonly BimtTraining? _bimt;

    /// <summary>Trains <paramref name="parameters"/> in place with <paramref name="optimizer"/>.</summary>
    public TrainingStep(TransformerConfig config, ParameterSet parameters, AdamW optimizer, ModularAdditionData data, int threads,
        GrokfastFilter? grokfast = null, BimtTraining? bimt = null)
    {
        _config = config;
        _grokfast = grokfast;
        _bimt = bimt;
        _parameters = parameters;
        _optimizer = optimizer;
        _threads = threads;
        _train = new Workspace(config, ModularAdditionData.Tokens(config.P, data.TrainRows),
            ModularAdditionData.Targets(config.P, data.TrainRows), lastPositionOnly: true, withGradients: true);
        _test = new Workspace(config, ModularAdditionData.Tokens(config.P, data.TestRows),
            ModularAdditionData.Targets(config.P, data.TestRows), lastPositionOnly: true, withGradients: false);
        _weights = new EffectiveWeights(config);
        _weightGradient = new EffectiveWeights(config);
        _latentGradient = parameters.ZerosLike();
    }

    /// <summary>Starts from copies of the setup's weights and optimizer state.</summary>
    public TrainingStep(TrainingSetup setup)
        : this(setup.Config, setup.Parameters.Clone(), AdamW.From(setup.Options.Optimizer, setup.Parameters, setup.Optimizer),
            setup.Data, setup.Options.Threads,
            setup.Options.Grokfast is { } g ? new GrokfastFilter(g, setup.Optimizer?.GradientAverage) : null,
            setup.Options.Bimt is { } b ? new BimtTraining(setup.Config, b, setup.Options.Epochs, setup.Layout) : null)
    {
    }

    /// <summary>One optimizer step on the whole train set; returns the train loss of its forward pass (pre-update).</summary>
    public double Run()
    {
        _weights.LoadFrom(_parameters);
        var loss = TransformerForward.Run(_weights, _train, _threads).Loss;
        if (!double.IsFinite(loss)) return loss;
        _weightGradient.Clear();
        TransformerBackward.Run(_weights, _train, _weightGradient, _threads);
        Array.Clear(_latentGradient.Data);
        _weightGradient.AccumulateInto(_latentGradient);
        // The cost is the latent weights' own, so its gradient joins after the straight-through estimator.
        _bimt?.AddGradient(_parameters, _latentGradient, _optimizer.Step);
        _grokfast?.Apply(_latentGradient);
        _optimizer.Update(_parameters, _latentGradient);
        return loss;
    }

    /// <summary>Loss and accuracy on the test set with the current weights.</summary>
    public Evaluation Evaluate()
    {
        _weights.LoadFrom(_parameters);
        var result = TransformerForward.Run(_weights, _test, _threads);
        return new Evaluation(result.Loss, result.Accuracy);
    }

    public ParameterSet ReadParameters() => _parameters.Clone();

    public OptimizerState ReadOptimizer() =>
        new(_optimizer.Step, _optimizer.FirstMoment.Clone(), _optimizer.SecondMoment.Clone())
        {
            GradientAverage = _grokfast?.Average?.Clone(),
        };

    /// <summary>Where BIMT's swaps have put each unit (every unit in its own slot when BIMT is off).</summary>
    public NeuronLayout Layout => _bimt?.Layout.Clone() ?? NeuronLayout.Identity(_config);

    /// <summary>The locality cost of the current weights, also when BIMT is off (at the identity layout), for comparison.</summary>
    public double LocalityCost() => _bimt?.Cost(_parameters) ?? new LocalityCost(_config).Of(_parameters, Layout);

    public IReadOnlyList<NeuronSwap> Relocate(int epoch) =>
        _bimt?.Relocate(_parameters, epoch) ?? throw new InvalidOperationException("This step trains without BIMT; it has no swaps to make.");

    /// <summary>Nothing native to release; every buffer is managed.</summary>
    public void Dispose()
    {
    }
}
