using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Runtime;

/// <summary>
/// The one place BitOnnx configures ONNX Runtime sessions. Besides threads, optimization level and provider, it sets
/// <c>session.qdq_matmulnbits_accuracy_level = 1</c>: from ORT_ENABLE_EXTENDED on, ONNX Runtime rewrites an int8
/// DequantizeLinear → MatMul into com.microsoft MatMulNBits, whose default accuracy level 4 quantizes the activations
/// to int8 and drifts by ~1e-2; level 1 keeps them float32, so every optimization level gives the float result.
/// </summary>
public static class SessionDefaults
{
    public const string MatMulNBitsAccuracyKey = "session.qdq_matmulnbits_accuracy_level";
    public const string MatMulNBitsAccuracy = "1";

    /// <summary>The environment variable that lets ONNX Runtime's own log through: verbose, info, warning, error or fatal.</summary>
    public const string LogVariable = "BITONNX_ORT_LOG";

    /// <summary>New session options (the caller disposes them); asking for an unavailable provider throws <see cref="ExecutionProviderUnavailableException"/>.</summary>
    public static SessionOptions Create(ModelSessionOptions settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(settings.Threads);
        var options = new SessionOptions
        {
            GraphOptimizationLevel = settings.OptimizationLevel,
            IntraOpNumThreads = settings.Threads,
            // ORT warns on stderr about rewrites it declines, about each overridable initializer, and logs an error
            // before returning it; a command prints one line per problem, from us. Asked for, its log comes through.
            LogSeverityLevel = LogLevel(),
        };
        try
        {
            options.AddSessionConfigEntry(MatMulNBitsAccuracyKey, MatMulNBitsAccuracy);
            if (settings.Provider == ExecutionProvider.Cuda) CudaProvider.Append(options, settings.DeviceId);
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    /// <summary>FATAL (nothing a caller handles reaches stderr) unless <see cref="LogVariable"/> asks for more.</summary>
    public static OrtLoggingLevel LogLevel()
    {
        var asked = Environment.GetEnvironmentVariable(LogVariable);
        return asked?.Trim().ToLowerInvariant() switch
        {
            null or "" or "fatal" => OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
            "error" => OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            "warning" => OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            "info" => OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO,
            "verbose" => OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE,
            _ => throw new ModelSessionException($"{LogVariable}={asked} is not a log level; give verbose, info, warning, error or fatal (or leave it unset)."),
        };
    }
}
