namespace BitOnnx.Pipelines.Sweep;

/// <summary>
/// An operating-system lock on a cell's .lock file, held by the worker process for the cell's whole run: .NET takes
/// flock(LOCK_EX) for FileShare.None on Unix. The system releases it when the process ends in any way, killed included,
/// so a cell whose worker died is free to resume, and two workers can never train one cell at once.
/// </summary>
public sealed class CellLock : IDisposable
{
    private readonly FileStream _stream;

    private CellLock(FileStream stream) => _stream = stream;

    /// <summary>The lock, or null when another process (or another handle in this one) holds it.</summary>
    public static CellLock? TryTake(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            return new CellLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (HeldElsewhere(e))
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>EWOULDBLOCK (Linux 11, macOS 35), or Windows' sharing violation.</summary>
    private static bool HeldElsewhere(IOException e) => e.HResult is 11 or 35 or unchecked((int)0x80070020);
}
