namespace BitOnnx.Core.Training;

/// <summary>A file of a run folder (config.json, split.json, metrics.csv, stop.json) that is missing or cannot be read.</summary>
public sealed class RunFolderException : InvalidFileException
{
    public RunFolderException(string path, string message) : base(path, message) { }

    public RunFolderException(string path, string message, Exception inner) : base(path, message, inner) { }
}
