namespace BitOnnx.TestSupport;

/// <summary>
/// The clone the tests and benchmarks were built in, for those that read its models/, docs/ or fixtures or run its
/// tools/: the binaries sit below it wherever the build put them, so the first folder above them that holds
/// BitOnnx.sln is the one.
/// </summary>
public static class RepositoryRoot
{
    public static string Path
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(folder.FullName, "BitOnnx.sln"))) return folder.FullName;
            }
            throw new InvalidOperationException(
                $"No BitOnnx.sln in {AppContext.BaseDirectory} or any folder above it: run the tests and benchmarks from their build inside a clone.");
        }
    }
}
