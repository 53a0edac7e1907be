using BitOnnx.Engine.Sequence;
using BitOnnx.Engine.Training;
using BitOnnx.Pipelines.Training;
using BitOnnx.Torch;
using BitOnnx.Torch.Sequence;
using BitOnnx.Torch.Training;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>
/// Which <c>--backend</c> trains a sequence model: the one place that decides it. Both do: TorchSharp, the default,
/// and the engine (about 1.6 times faster a step at d_model 64, and the same bits for any thread count and ISA). The
/// default stays TorchSharp so that every arithmetic command line written before the engine trained sequence models
/// (the shipped add5-fp card, docs/arithmetic.md) still rebuilds the same bytes.
/// </summary>
public static class SequenceTrainingBackends
{
    public static string Default => TorchSharpBackend.Instance.Name;

    public static string Engine => EngineBackend.Instance.Name;

    /// <summary>The names <c>--backend</c> accepts.</summary>
    public static IReadOnlyList<string> Names => TrainingBackends.Names;

    /// <summary>Checks the backend before the run folder is touched; TorchSharp is loaded here, so a missing libtorch fails in one line.</summary>
    public static void Resolve(string name)
    {
        if (name != Engine) TorchRuntime.EnsureAvailable();
    }

    /// <summary>A fresh trainer on the request's backend, its threads set.</summary>
    public static ISequenceRunTrainer Start(SequenceTrainRequest request)
    {
        if (request.Backend == Engine)
            return new EngineSequenceRunTrainer(EngineSequenceTrainer.Start(request.Config, request.Task, request.Options, request.Threads));
        TorchRuntime.SetThreads(request.Threads);
        return new TorchSequenceRunTrainer(SequenceTrainer.Start(request.Config, request.Task, request.Options));
    }

    /// <summary>A trainer that goes on from the resume state in <paramref name="checkpoint"/>.</summary>
    public static ISequenceRunTrainer Resume(SequenceTrainRequest request, string checkpoint)
    {
        if (request.Backend == Engine)
            return new EngineSequenceRunTrainer(EngineSequenceTrainer.Resume(checkpoint, request.Task, request.Options, request.Threads));
        TorchRuntime.SetThreads(request.Threads);
        return new TorchSequenceRunTrainer(SequenceTrainer.Resume(checkpoint, request.Task, request.Options));
    }
}
