using BitOnnx.Core.Training;
using BitOnnx.Engine.Training;
using BitOnnx.Torch;
using BitOnnx.Torch.Training;

namespace BitOnnx.Pipelines.Training;

/// <summary>The backends <c>bitonnx train --backend</c> and a sweep's cells offer; both write the same run folder and checkpoints.</summary>
public static class TrainingBackends
{
    public static string Default => EngineBackend.Instance.Name;

    public static IReadOnlyList<string> Names { get; } = [EngineBackend.Instance.Name, TorchSharpBackend.Instance.Name];

    /// <summary>The ratio measured on 2026-12-01 (AVX-512 host, shared: wall times were not usable, CPU times were): engine 69 ms,
    /// torchsharp 114 ms of CPU per li2024-binary epoch at P = 113, 1 thread (BackendEpochBenchmarks has the wall-clock version).</summary>
    public const string Description =
        "Training backend: engine (the default: the managed SIMD engine, about 1.6x faster than torchsharp per P = 113 epoch, " +
        "CPU time at 1 thread) or torchsharp (libtorch 2.10 CPU through " +
        "TorchSharp). Same run folder, checkpoints and resume.";

    /// <summary>The backend named <paramref name="name"/>; TorchSharp is loaded here, so a missing libtorch fails in one line.</summary>
    public static ITrainingBackend Resolve(string name)
    {
        if (name == EngineBackend.Instance.Name) return EngineBackend.Instance;
        TorchRuntime.EnsureAvailable();
        return TorchSharpBackend.Instance;
    }
}
