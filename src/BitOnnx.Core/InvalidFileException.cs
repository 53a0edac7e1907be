namespace BitOnnx.Core;

/// <summary>
/// A file a parser cannot read as what it should be (a safetensors checkpoint, an ONNX model, a run folder's files, a
/// model zip): truncated, corrupt, of another format, or holding values that cannot be right. The message names the
/// file and what is wrong with it; <see cref="Path"/> is the file (null for bytes that came from no file).
/// </summary>
public class InvalidFileException : BitOnnxException
{
    public InvalidFileException(string? path, string message) : base(message) => Path = path;

    public InvalidFileException(string? path, string message, Exception inner) : base(message, inner) => Path = path;

    /// <summary>The file that could not be read, as the user gave it; null for bytes from no file.</summary>
    public string? Path { get; }
}
