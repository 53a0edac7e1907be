namespace BitOnnx.Benchmarks.Runtime;

/// <summary>The clone this benchmark build sits in, for benchmarks that read its models/ or run its tools/.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        for (var folder = AppContext.BaseDirectory; folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (File.Exists(Path.Combine(folder, "BitOnnx.sln"))) return folder;
        }
        throw new InvalidOperationException(
            $"No BitOnnx.sln above {AppContext.BaseDirectory}: run the benchmarks from their build inside a clone.");
    }
}
