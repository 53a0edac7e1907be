using BitOnnx.Core;

namespace BitOnnx.Onnx.Runtime;

/// <summary>
/// A model that cannot be run as asked (not a modular-addition model, a bad token, an output it lacks, a provider that
/// cannot start): one sentence saying what was wrong and what to do. ONNX Runtime's own error, if any, is the inner
/// exception.
/// </summary>
public class ModelSessionException : BitOnnxException
{
    public ModelSessionException(string message) : base(message) { }

    public ModelSessionException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>An execution provider that cannot start here; the message names the switch or the missing library.</summary>
public sealed class ExecutionProviderUnavailableException : ModelSessionException
{
    public ExecutionProviderUnavailableException(string message) : base(message) { }

    public ExecutionProviderUnavailableException(string message, Exception inner) : base(message, inner) { }
}
