using BitOnnx.Core;

namespace BitOnnx.Pipeline.Onnx;

/// <summary>An ONNX model that is not what the command needs (other P than the checkpoint or than asked for).</summary>
public sealed class OnnxModelMismatchException(string message) : BitOnnxException(message);
