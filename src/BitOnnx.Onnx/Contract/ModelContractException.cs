using BitOnnx.Core;

namespace BitOnnx.Onnx.Contract;

/// <summary>
/// A readable ONNX model that is not what a command needs: another input, no <c>logits</c>, a probe of an unexpected
/// shape, no hook to make an input of. The message names the model, what it has and what to export instead.
/// </summary>
public sealed class ModelContractException(string message) : BitOnnxException(message);
