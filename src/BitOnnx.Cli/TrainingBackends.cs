using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.Torch;
using BitOnnx.Torch.Training;

namespace BitOnnx.Cli;

/// <summary>The backends <c>bitonnx train --backend</c> offers; both write the same run folder and checkpoints.</summary>
public static class TrainingBackends
{
    public static string Default => EngineBackend.Instance.Name;

    public static IReadOnlyList<string> Names { get; } = [EngineBackend.Instance.Name, TorchSharpBackend.Instance.Name];

    /// <summary>The measured ratio: TrainingEpochBenchmarks vs TorchTrainingEpochBenchmarks, P = 113, 2 threads.</summary>
    public const string Description =
        "Training backend: engine (the default: the managed SIMD engine, faster: RATIO) or torchsharp (libtorch 2.10 CPU through " +
        "TorchSharp). Same run folder, checkpoints and resume.";

    /// <summary>The backend named <paramref name="name"/>; TorchSharp is loaded here, so a missing libtorch fails in one line.</summary>
    public static ITrainingBackend Resolve(string name)
    {
        if (name == EngineBackend.Instance.Name) return EngineBackend.Instance;
        TorchRuntime.EnsureAvailable();
        return TorchSharpBackend.Instance;
    }
}
