using BitOnnx.Core;

namespace BitOnnx.Pipelines.Arguments;

/// <summary>
/// Arguments or a spec that cannot be used as written: a bad value, an unknown or missing option, settings that
/// contradict each other. The message names what was given and what is allowed; the CLI exits with its usage code.
/// </summary>
public class UsageException(string message) : BitOnnxException(message);
