using BitOnnx.Core;

namespace BitOnnx.Onnx;

/// <summary>Bytes that are not a readable ONNX model, or a model whose tensors contradict their own shapes.</summary>
public sealed class OnnxFormatException : InvalidFileException
{
    public OnnxFormatException(string? path, string message) : base(path, message) { }

    public OnnxFormatException(string? path, string message, Exception inner) : base(path, message, inner) { }
}
