using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Runtime;

/// <summary>Where ONNX Runtime runs a model.</summary>
public enum ExecutionProvider
{
    Cpu,

    /// <summary>Needs the CUDA build (-p:OnnxRuntimeFlavor=cuda), CUDA 13, cuDNN 9 and a driver.</summary>
    Cuda,
}

/// <summary>How a <see cref="ModelSession"/> is opened and how it batches its calls.</summary>
public sealed record ModelSessionOptions
{
    /// <summary>Threads inside one operator; 0: ONNX Runtime's default (one per physical core).</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Graph rewrites before running. Results stay exact at every level (see <see cref="SessionDefaults"/>). The 2-bit
    /// formats unpack their codes by constant folding, from ORT_ENABLE_BASIC on; ORT_ENABLE_ALL (the default) also fuses
    /// int2's 8-bit linears into DynamicQuantizeMatMul. Below BASIC they unpack on every call: the same numbers, slower.
    /// </summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>The CUDA device, when <see cref="Provider"/> is CUDA.</summary>
    public int DeviceId { get; init; }

    /// <summary>Rows per ONNX Runtime call: all P² pairs with every probe need not fit in one call.</summary>
    public int BatchSize { get; init; } = 2048;

    public static ExecutionProvider ParseProvider(string name) => name.Trim().ToLowerInvariant() switch
    {
        "cpu" => ExecutionProvider.Cpu,
        "cuda" => ExecutionProvider.Cuda,
        _ => throw new ModelSessionException($"Unknown execution provider '{name}'. Valid providers: {string.Join(", ", ProviderNames)}."),
    };

    public static IReadOnlyList<string> ProviderNames { get; } = ["cpu", "cuda"];
}
