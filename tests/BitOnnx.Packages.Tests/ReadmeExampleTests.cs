using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using BitOnnx.TestSupport;

namespace BitOnnx.Packages.Tests;

/// <summary>
/// README.md's ML.NET example, as it stands between its markers, built the way a user outside the repository builds
/// it: a fresh console project in the system's temporary folder that references the BitOnnx.ML package (from the local
/// feed the libraries were packed into; everything else from the repository's package sources), restored into a NuGet
/// packages folder of its own, built and run.
/// </summary>
[TestClass]
public sealed class ReadmeExampleTests : WorkFolderTests
{
    public const string Begin = "<!-- bitonnx:readme-example begin";
    public const string End = "<!-- bitonnx:readme-example end";

    [TestMethod]
    [Timeout(900_000)]
    public void TheReadmeExampleBuildsAgainstThePackagesAndRuns()
    {
        var packed = PackedLibraries.Get();
        var root = RepositoryRoot.Path;
        var app = Path.Combine(packed.Work, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "Program.cs"), Example(File.ReadAllText(Path.Combine(root, "README.md"))));
        File.WriteAllText(Path.Combine(app, "nuget.config"), NuGetConfig(Path.Combine(root, "nuget.config"), packed.Feed));
        File.WriteAllText(Path.Combine(app, "ReadmeExample.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BitOnnx.ML" Version="{packed.Version}" />
              </ItemGroup>
            </Project>
            """);

        var output = DotnetProcess.Run(app, packed.Environment, TimeSpan.FromMinutes(10), "dotnet", "run", "-c", "Release");
        Console.WriteLine(output);

        var accuracy = Regex.Match(output, @"test accuracy ([\d.]+) ?%");
        Assert.IsTrue(accuracy.Success, output);
        Assert.IsTrue(double.Parse(accuracy.Groups[1].Value, CultureInfo.InvariantCulture) >= 90, output);
        var sum = Regex.Match(output, @"\(5 \+ 7\) mod (\d+) = (\d+)");
        Assert.IsTrue(sum.Success, output);
        var p = int.Parse(sum.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.AreEqual((5 + 7) % p, int.Parse(sum.Groups[2].Value, CultureInfo.InvariantCulture), output);
        Assert.IsTrue(File.Exists(Path.Combine(app, "sums.zip")), "the example saved its model");

        // What came from where: BitOnnx.* from the feed, restored fresh; ONNX Runtime's native library beside the app.
        foreach (var id in PackedLibraries.Ids)
            Assert.IsTrue(File.Exists(Path.Combine(packed.NuGetPackages, id.ToLowerInvariant(), packed.Version, $"{id.ToLowerInvariant()}.{packed.Version}.nupkg")), $"{id} restored from the feed");
        if (OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64)
        {
            var bin = Path.Combine(app, "bin", "Release", "net10.0");
            Assert.IsTrue(File.Exists(Path.Combine(bin, "runtimes", "linux-x64", "native", "libonnxruntime.so")), "ONNX Runtime's native library came with the packages");
        }
    }

    /// <summary>The C# block between the README's markers.</summary>
    public static string Example(string readme)
    {
        var begin = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.IsTrue(begin >= 0 && end > begin, $"README.md has no '{Begin}' ... '{End}' markers around its ML.NET example");
        var code = Regex.Match(readme[begin..end], "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.IsTrue(code.Success, "a ```csharp block between the markers");
        StringAssert.Contains(code.Groups[1].Value, "new MLContext", "the example uses ML.NET");
        return code.Groups[1].Value;
    }

    /// <summary>
    /// The repository's package sources that are servers (not its local folder), plus the feed; BitOnnx.* comes from
    /// the feed only, everything else from those servers.
    /// </summary>
    public static string NuGetConfig(string repositoryConfig, string feed)
    {
        var servers = XDocument.Load(repositoryConfig).Descendants("packageSources").Elements("add")
            .Where(a => Uri.TryCreate(a.Attribute("value")?.Value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http")
            .Select(a => (Key: a.Attribute("key")!.Value, Value: a.Attribute("value")!.Value)).ToArray();
        Assert.IsTrue(servers.Length > 0, $"{repositoryConfig} names a package server");
        var config = new XElement("configuration",
            new XElement("packageSources", new XElement("clear"),
                servers.Select(s => new XElement("add", new XAttribute("key", s.Key), new XAttribute("value", s.Value))),
                new XElement("add", new XAttribute("key", "bitonnx-feed"), new XAttribute("value", feed))),
            new XElement("packageSourceMapping",
                servers.Select(s => new XElement("packageSource", new XAttribute("key", s.Key), new XElement("package", new XAttribute("pattern", "*")))),
                new XElement("packageSource", new XAttribute("key", "bitonnx-feed"), new XElement("package", new XAttribute("pattern", "BitOnnx.*")))));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), config).ToString();
    }
}
