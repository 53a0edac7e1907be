using BitOnnx.TestSupport;

namespace BitOnnx.Packages.Tests;

/// <summary>
/// The four library packages, packed once per test run by tools/pack-libraries.sh (from this checkout, as it stands)
/// into a folder under the system's temporary folder, outside the repository, so that its build files never apply to
/// what the tests build there.
/// </summary>
public sealed class PackedLibraries
{
    public static readonly string[] Ids = ["BitOnnx.Core", "BitOnnx.Engine", "BitOnnx.Onnx", "BitOnnx.ML"];

    private static readonly Lazy<PackedLibraries> Instance = new(Pack);

    public static PackedLibraries Get() => Instance.Value;

    /// <summary>Everything the tests write: feed/, nuget-packages/, app/. Deleted by <see cref="DeleteWorkIfPacked"/>.</summary>
    public required string Work { get; init; }
    public required string Feed { get; init; }
    public required string Version { get; init; }
    /// <summary>The environment of a user outside the repository, with a NuGet packages folder of their own under <see cref="Work"/>.</summary>
    public required Dictionary<string, string?> Environment { get; init; }
    public string NuGetPackages => Environment["NUGET_PACKAGES"]!;

    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>Removes the work folder (about 450 MB with the restored packages), if this run packed.</summary>
    public static void DeleteWorkIfPacked()
    {
        if (Instance.IsValueCreated && Directory.Exists(Instance.Value.Work)) Directory.Delete(Instance.Value.Work, recursive: true);
    }

    private static PackedLibraries Pack()
    {
        var work = Path.Combine(Path.GetTempPath(), "bitonnx-packages-" + Guid.NewGuid().ToString("N")[..12]);
        var feed = Path.Combine(work, "feed");
        Directory.CreateDirectory(feed);
        var root = RepositoryRoot.Path;
        // The repository's build restores into this user's packages folder, as every build of it does.
        DotnetProcess.Run(root, DotnetProcess.UserEnvironment(null), TimeSpan.FromMinutes(8), Path.Combine(root, "tools", "pack-libraries.sh"), feed);
        var ml = Directory.GetFiles(feed, "BitOnnx.ML.*.nupkg").Single();
        var version = Path.GetFileNameWithoutExtension(ml)["BitOnnx.ML.".Length..];
        return new PackedLibraries { Work = work, Feed = feed, Version = version, Environment = DotnetProcess.UserEnvironment(Path.Combine(work, "nuget-packages")) };
    }
}
