using BitOnnx.Engine.Training;
using BitOnnx.Pipelines.Arguments;
using BitOnnx.Pipelines.Training;
using BitOnnx.Torch;
using BitOnnx.Torch.Training;

namespace BitOnnx.Pipelines.Sequence;

/// <summary>
/// Which <c>--backend</c> trains a sequence model: the one place that decides it, so that the engine, once it trains
/// <see cref="Core.Model.SequenceModelConfig"/> models, is added here and nowhere else. Today only TorchSharp does.
/// </summary>
public static class SequenceTrainingBackends
{
    public static string Default => TorchSharpBackend.Instance.Name;

    /// <summary>The names <c>--backend</c> accepts for any task; <see cref="Problem"/> says which of them cannot train a sequence model.</summary>
    public static IReadOnlyList<string> Names => TrainingBackends.Names;

    /// <summary>Why the backend named <paramref name="name"/> cannot train a sequence model, or null when it can.</summary>
    public static string? Problem(string name) => name == EngineBackend.Instance.Name
        ? $"--backend {name} does not train sequence models yet; train arithmetic tasks with --backend {Default}, their default."
        : null;

    /// <summary>Checks the backend before the run folder is touched; TorchSharp is loaded here, so a missing libtorch fails in one line.</summary>
    public static void Resolve(string name)
    {
        if (Problem(name) is { } problem) throw new UsageException(problem);
        TorchRuntime.EnsureAvailable();
    }
}
