namespace BitOnnx.Runtime;

/// <summary>ONNX Runtime's error codes (OrtErrorCode), as in the C API.</summary>
public enum ErrorCode
{
    Ok = 0,
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    EpFail = 11,
    ModelLoadCanceled = 12,
    ModelRequiresCompilation = 13,
    NotFound = 14,
}

/// <summary>
/// A failed ONNX Runtime call, carrying ORT's own error code and message; also thrown for inputs that
/// BitOnnx rejects before calling ORT (code <see cref="ErrorCode.InvalidArgument"/>).
/// </summary>
public sealed class OnnxRuntimeException : Exception
{
    public OnnxRuntimeException(ErrorCode errorCode, string message)
        : base($"[ErrorCode:{errorCode}] {message}")
    {
        ErrorCode = errorCode;
        RuntimeMessage = message;
    }

    public OnnxRuntimeException(ErrorCode errorCode, string message, Exception innerException)
        : base($"[ErrorCode:{errorCode}] {message}", innerException)
    {
        ErrorCode = errorCode;
        RuntimeMessage = message;
    }

    public ErrorCode ErrorCode { get; }

    /// <summary>The message without the "[ErrorCode:...]" prefix.</summary>
    public string RuntimeMessage { get; }
}
