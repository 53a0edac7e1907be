namespace BitOnnx.Core.Checkpoints;

/// <summary>
/// Checks that an output the user named can be written before any work is done for it, so a long job never fails at
/// its last step: a folder must not be a file and must be writable; a file must not be a folder and its folder writable.
/// Nothing is left behind: a folder that does not exist yet is not created, its nearest existing parent is tested.
/// </summary>
public static class OutputPath
{
    /// <summary>Proves that <paramref name="path"/> can be written as a folder; <paramref name="what"/> names it in errors.</summary>
    public static void RequireFolder(string path, string what)
    {
        if (File.Exists(path)) throw new BitOnnxException($"Cannot write {what} '{path}': it is a file; give a folder (it is created if missing).");
        Probe(path, path, what);
    }

    /// <summary>Proves that <paramref name="path"/> can be written as a file.</summary>
    public static void RequireFile(string path, string what)
    {
        if (Directory.Exists(path)) throw new BitOnnxException($"Cannot write {what} '{path}': it is a folder; give a file name.");
        Probe(Path.GetDirectoryName(Path.GetFullPath(path))!, path, what);
    }

    private static void Probe(string folder, string path, string what)
    {
        var existing = new DirectoryInfo(Path.GetFullPath(folder));
        while (!existing.Exists)
        {
            if (File.Exists(existing.FullName))
                throw new BitOnnxException($"Cannot write {what} '{path}': '{existing.FullName}' is a file, not a folder.");
            existing = existing.Parent ?? throw new BitOnnxException($"Cannot write {what} '{path}': no part of the path exists.");
        }
        try
        {
            var probe = Path.Combine(existing.FullName, $".write-test-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BitOnnxException($"Cannot write {what} '{path}': {e.Message}");
        }
    }
}
