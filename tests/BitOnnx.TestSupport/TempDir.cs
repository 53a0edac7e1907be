namespace BitOnnx.TestSupport;

/// <summary>
/// A fresh folder under the system's temporary folder, deleted on dispose. Each test gets its own (a GUID), so tests
/// running in parallel, or a run after one that was killed, never see each other's files.
/// </summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Where the tests' folders go under the system's temporary folder, unless a test names its own.</summary>
    public const string DefaultGroup = "bitonnx-tests";

    public TempDir(string group = DefaultGroup)
    {
        Path = NewPath(group);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>
    /// A path no test has used, not yet created: for a run folder, which its writer creates, and for a test that
    /// keeps its files after it ends (a cached model, a failed run to look at).
    /// </summary>
    public static string NewPath(string group = DefaultGroup) =>
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), group, Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child process (a browser, a CLI run) may still hold a file briefly; the OS temp cleaner takes it.
        }
    }
}
