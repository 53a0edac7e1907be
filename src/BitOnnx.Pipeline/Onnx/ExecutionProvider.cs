using BitOnnx.Runtime;

namespace BitOnnx.Pipeline.Onnx;

/// <summary>Where ONNX Runtime runs a model.</summary>
public enum ExecutionProvider
{
    Cpu,
    Cuda,
    WebGpu,
}

public static class ExecutionProviders
{
    public static IReadOnlyList<string> Names { get; } = ["cpu", "cuda", "webgpu"];

    public static ExecutionProvider Parse(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => ExecutionProvider.Cpu,
        "cuda" => ExecutionProvider.Cuda,
        "webgpu" => ExecutionProvider.WebGpu,
        _ => throw new ArgumentException($"Unknown execution provider '{name}'. Valid providers: {string.Join(", ", Names)}."),
    };

    /// <summary>
    /// Session options for <paramref name="provider"/>. A GPU provider that cannot be had throws ONNX Runtime's error with
    /// the missing library named, unless <paramref name="fallbackToCpu"/>, which returns CPU options and the reason instead.
    /// </summary>
    public static (SessionOptions Options, ExecutionProvider Used, string? FallbackReason) Create(ExecutionProvider provider,
        bool fallbackToCpu, int threads = 0, int deviceId = 0)
    {
        var options = TransformerSession.DefaultOptions(threads);
        try
        {
            switch (provider)
            {
                case ExecutionProvider.Cuda:
                    options.AppendExecutionProvider_CUDA(deviceId);
                    break;
                case ExecutionProvider.WebGpu:
                    options.AppendExecutionProvider_WebGPU();
                    break;
            }
            return (options, provider, null);
        }
        catch (OnnxRuntimeException e) when (fallbackToCpu)
        {
            options.Dispose();
            return (TransformerSession.DefaultOptions(threads), ExecutionProvider.Cpu, e.Message);
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
