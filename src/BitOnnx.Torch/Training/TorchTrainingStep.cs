using BitOnnx.Core.Data;
using BitOnnx.Core.Model;
using BitOnnx.Core.Training;
using BitOnnx.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace BitOnnx.Torch.Training;

/// <summary>
/// One full-batch epoch in TorchSharp (forward at the last position, float64 loss, autograd through the STE, AdamW as
/// torch.optim.AdamW with the engine's settings and warm-up) and the test evaluation. Every step runs in a dispose
/// scope, so the only tensors that outlive it are the parameters, their gradients and the optimizer's moments.
/// </summary>
public sealed class TorchTrainingStep : ITrainingStep
{
    private readonly TokenBatch _train;
    private readonly TokenBatch _test;
    private readonly TorchAdamW _optimizer;
    private readonly GrokfastSettings? _grokfast;
    /// <summary>Grokfast's running average per parameter (the official code's <c>grads</c>); empty until the first step.</summary>
    private readonly Dictionary<string, Tensor> _gradientAverage = [];

    public TorchTrainingStep(TransformerConfig config, ParameterSet initial, AdamWSettings settings, ModularAdditionData data, int threads,
        GrokfastSettings? grokfast = null)
    {
        _grokfast = grokfast;
        TorchRuntime.SetThreads(threads);
        Model = new TorchTransformer(config);
        Model.LoadFrom(initial);
        _train = TokenBatch.For(config, data.TrainRows);
        _test = TokenBatch.For(config, data.TestRows);
        _optimizer = new TorchAdamW(Model.Parameters().Select(p => (Tensor)p.Parameter).ToList(), settings);
    }

    /// <summary>Starts from the setup's weights, and its optimizer state when it resumes.</summary>
    public TorchTrainingStep(TrainingSetup setup)
        : this(setup.Config, setup.Parameters, setup.Options.Optimizer, setup.Data, setup.Options.Threads, setup.Options.Grokfast)
    {
        if (setup.Optimizer is not { } state) return;
        LoadMoments(state.FirstMoment, state.SecondMoment, state.Step);
        if (state.GradientAverage is { } average) LoadGradientAverage(average);
    }

    public TorchTransformer Model { get; }

    /// <summary>Optimizer steps taken so far (the engine's AdamW.Step).</summary>
    public long Step => _optimizer.Step;

    /// <summary>One optimizer step on the whole train set; returns the train loss of its forward pass (pre-update).</summary>
    public double Run()
    {
        using var scope = torch.NewDisposeScope();
        _optimizer.ZeroGradients();
        var loss = LastPositionLoss.CrossEntropy(Model.Forward(_train, lastPositionOnly: true), _train.Targets);
        var value = loss.item<double>();
        if (!double.IsFinite(value)) return value;
        loss.backward();
        if (_grokfast is { } filter) ApplyGrokfast(filter);
        _optimizer.Update();
        return value;
    }

    /// <summary>Loss and accuracy on the test set with the current weights.</summary>
    public Evaluation Evaluate()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return LastPositionLoss.Measure(Model.Forward(_test, lastPositionOnly: true), _test.Targets);
    }

    public ParameterSet ReadParameters() => Model.ToParameterSet();

    public OptimizerState ReadOptimizer()
    {
        var (first, second, step) = Moments();
        return new OptimizerState(step, first, second) { GradientAverage = GradientAverage() };
    }

    /// <summary>
    /// Grokfast-EMA on the latent gradients before AdamW, in the order of the engine's GrokfastFilter (and of the
    /// authors' gradfilter_ema): the average starts as the first gradient, then ema ← ema·α + g·(1 − α), g ← g + ema·λ.
    /// </summary>
    private void ApplyGrokfast(GrokfastSettings filter)
    {
        using var noGrad = torch.no_grad();
        using Scalar alpha = ((float)filter.Alpha).ToScalar(), gradientShare = ((float)(1 - filter.Alpha)).ToScalar(),
            lambda = ((float)filter.Lambda).ToScalar();
        foreach (var (name, parameter) in Model.Parameters())
        {
            if (parameter.grad is not { } grad) continue;
            if (!_gradientAverage.TryGetValue(name, out var average))
                _gradientAverage[name] = average = grad.detach().clone().DetachFromDisposeScope();
            average.mul_(alpha).add_(grad, gradientShare);
            grad.add_(average, lambda);
        }
    }

    /// <summary>Grokfast's average in the parameters' layout, or null before its first step (or with Grokfast off).</summary>
    private ParameterSet? GradientAverage()
    {
        if (_gradientAverage.Count == 0) return null;
        var set = ParameterSet.Zeros(Model.Config);
        foreach (var (name, average) in _gradientAverage) TorchTransformer.Read(average, set.Slice(set.Info(name)));
        return set;
    }

    private void LoadGradientAverage(ParameterSet average)
    {
        foreach (var info in average.Entries)
            _gradientAverage[info.Name] = torch.tensor(average.Slice(info).ToArray(), info.Shape.ToLongArray()).DetachFromDisposeScope();
    }

    /// <summary>The latent gradient of every parameter from the latest <see cref="Run"/>, in a ParameterSet.</summary>
    public ParameterSet Gradients()
    {
        using var scope = torch.NewDisposeScope();
        var set = ParameterSet.Zeros(Model.Config);
        foreach (var (name, parameter) in Model.Parameters())
            if (parameter.grad is { } grad) TorchTransformer.Read(grad, set.Slice(set.Info(name)));
        return set;
    }

    /// <summary>AdamW's first and second moments, laid out as the parameters, and its step count.</summary>
    public (ParameterSet First, ParameterSet Second, long Step) Moments()
    {
        var first = ParameterSet.Zeros(Model.Config);
        var second = first.ZerosLike();
        var parameters = Model.Parameters();
        for (var i = 0; i < parameters.Count; i++)
        {
            var info = first.Info(parameters[i].Name);
            TorchTransformer.Read(_optimizer.FirstMoments[i], first.Slice(info));
            TorchTransformer.Read(_optimizer.SecondMoments[i], second.Slice(info));
        }
        return (first, second, Step);
    }

    /// <summary>Restores moments and the step count written by <see cref="Moments"/> (resume).</summary>
    public void LoadMoments(ParameterSet first, ParameterSet second, long step)
    {
        using var noGrad = torch.no_grad();
        var parameters = Model.Parameters();
        for (var i = 0; i < parameters.Count; i++)
        {
            var info = first.Info(parameters[i].Name);
            using var m = torch.tensor(first.Slice(info).ToArray(), info.Shape.ToLongArray());
            using var v = torch.tensor(second.Slice(info).ToArray(), info.Shape.ToLongArray());
            _optimizer.FirstMoments[i].copy_(m);
            _optimizer.SecondMoments[i].copy_(v);
        }
        _optimizer.Step = step;
    }

    public void Dispose()
    {
        foreach (var average in _gradientAverage.Values) average.Dispose();
        _optimizer.Dispose();
        _train.Dispose();
        _test.Dispose();
        Model.Dispose();
    }
}
