using BitOnnx.Core;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Runtime;

namespace BitOnnx.ML;

/// <summary>
/// Whether a model can run on CUDA device n, found out before ApplyOnnxModel tries: OnnxTransformer falls back to the
/// CPU without a word, and without fallback it fails with ONNX Runtime's message deep inside a pipeline. With fallback
/// the fall back is written to the MLContext's log (mlContext.Log, ML.NET's channel for such news) as a warning.
/// </summary>
public static class GpuPlacement
{
    /// <summary>"Cuda" when the device works, else "Cpu" (fallback) or a <see cref="BitOnnxException"/> (no fallback).</summary>
    public static string Check(MLContext ml, byte[] onnxModel, int gpuDeviceId, bool fallbackToCpu)
    {
        var reason = CudaProblem(onnxModel, gpuDeviceId);
        if (reason is null) return "Cuda";
        if (!fallbackToCpu)
            throw new BitOnnxException($"CUDA device {gpuDeviceId} cannot run this model ({reason}); install Microsoft.ML.OnnxRuntime.Gpu with a CUDA driver, or pass fallbackToCpu: true to score on the CPU.");
        using var channel = ((IHostEnvironment)ml).Register("BitOnnx.ML").Start("GPU placement");
        channel.Warning(MessageSensitivity.None, $"CUDA device {gpuDeviceId} cannot run this model ({reason}); scoring on the CPU instead.");
        return "Cpu";
    }

    private static string? CudaProblem(byte[] onnxModel, int gpuDeviceId)
    {
        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(gpuDeviceId);
            using var session = new InferenceSession(onnxModel, options);
            return null;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return e.Message.Split('\n')[0].Trim();
        }
    }
}
