using System.IO.Compression;
using System.Xml.Linq;

namespace BitOnnx.Packages.Tests;

/// <summary>
/// Each library package as NuGet gives it to a user: id and version, description, README, the assembly with its XML
/// docs, and exactly the dependencies it needs (BitOnnx.Onnx brings ONNX Runtime's native package; build-only tools stay out).
/// </summary>
[TestClass]
public sealed class PackageContentsTests : WorkFolderTests
{
    private static readonly Dictionary<string, string[]> Dependencies = new()
    {
        ["BitOnnx.Core"] = [],
        ["BitOnnx.Engine"] = ["BitOnnx.Core", "System.Numerics.Tensors"],
        ["BitOnnx.Onnx"] = ["BitOnnx.Core", "Google.Protobuf", "Microsoft.ML.OnnxRuntime"],
        ["BitOnnx.ML"] = ["BitOnnx.Core", "BitOnnx.Engine", "BitOnnx.Onnx", "Microsoft.ML", "Microsoft.ML.OnnxTransformer"],
    };

    public static IEnumerable<object[]> Ids() => PackedLibraries.Ids.Select(id => new object[] { id });

    [TestMethod]
    [DynamicData(nameof(Ids), DynamicDataSourceType.Method)]
    public void PackageHasItsReadmeDocsAndDependencies(string id)
    {
        var packed = PackedLibraries.Get();
        using var package = ZipFile.OpenRead(packed.Package(id));
        var entries = package.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);

        var nuspec = XDocument.Load(package.GetEntry($"{id}.nuspec")!.Open());
        var ns = nuspec.Root!.GetDefaultNamespace();
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        string? Field(string name) => metadata.Element(ns + name)?.Value;
        Assert.AreEqual(id, Field("id"));
        Assert.AreEqual(packed.Version, Field("version"));
        Assert.IsTrue(Field("description")?.Length > 40, $"{id} describes itself");
        Assert.AreEqual("README.md", Field("readme"), $"{id} names its README");
        Assert.IsTrue(entries.Contains("README.md"), $"{id} carries README.md");
        using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
            Assert.AreEqual($"# {id}", readme.ReadLine(), $"{id}'s README is its own");

        Assert.IsTrue(entries.Contains($"lib/net10.0/{id}.dll"), $"{id} carries its assembly");
        Assert.IsTrue(entries.Contains($"lib/net10.0/{id}.xml"), $"{id} carries its XML docs");
        var docs = XDocument.Load(package.GetEntry($"lib/net10.0/{id}.xml")!.Open());
        Assert.AreEqual(id, docs.Root!.Element("assembly")?.Element("name")?.Value);
        Assert.IsTrue(docs.Descendants("member").Any(m => m.Attribute("name")!.Value.StartsWith($"T:{id}.", StringComparison.Ordinal) && m.Element("summary") is not null),
            $"{id}'s XML docs document its types");

        var dependencies = metadata.Descendants(ns + "dependency").ToArray();
        CollectionAssert.AreEquivalent(Dependencies[id], dependencies.Select(d => d.Attribute("id")!.Value).ToArray(), $"{id}'s dependencies");
        foreach (var own in dependencies.Where(d => d.Attribute("id")!.Value.StartsWith("BitOnnx.", StringComparison.Ordinal)))
            Assert.AreEqual(packed.Version, own.Attribute("version")!.Value, $"{id} depends on this version of {own.Attribute("id")!.Value}");
        foreach (var d in dependencies)
            StringAssert.DoesNotMatch(d.Attribute("exclude")?.Value ?? "", new System.Text.RegularExpressions.Regex("Runtime|Native|Compile"),
                $"{id} passes on {d.Attribute("id")!.Value}'s assemblies and native libraries");
    }
}
