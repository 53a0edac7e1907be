namespace BitOnnx.Core;

/// <summary>
/// The base of every failure a user can cause and fix (a bad setting, a missing or corrupt file, a model without the
/// probes an analysis needs). The message is one sentence: what was wrong and what to do. Front ends print it as is;
/// any other exception is a bug.
/// </summary>
public class BitOnnxException : Exception
{
    public BitOnnxException(string message) : base(message) { }

    public BitOnnxException(string message, Exception inner) : base(message, inner) { }
}
