using System.Diagnostics;
using System.Text.RegularExpressions;

namespace BitOnnx.ML.Tests;

/// <summary>README's library example, taken from README.md as it stands, built as a program that references BitOnnx.ML and run.</summary>
[TestClass]
public sealed class ReadmeExampleTests
{
    [TestMethod]
    [Timeout(600_000)]
    public void TheReadmeExampleBuildsRunsAndLearns()
    {
        var root = SmallModels.RepositoryRoot;
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var section = readme[readme.IndexOf("## The library in a few lines", StringComparison.Ordinal)..];
        var code = Regex.Match(section, "```csharp\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        StringAssert.Contains(code, "new MLContext", "the example uses MLContext");

        // Under artifacts/ so the repository's build props, package versions and NuGet sources apply.
        var folder = Path.Combine(root, "artifacts", "readme-example", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "Program.cs"), code);
            File.WriteAllText(Path.Combine(folder, "ReadmeExample.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType></PropertyGroup>
                  <ItemGroup><ProjectReference Include="{Path.Combine(root, "src", "BitOnnx.ML", "BitOnnx.ML.csproj")}" /></ItemGroup>
                </Project>
                """);
            var (exit, output) = Dotnet(folder, "run", "-c", "Release");
            Assert.AreEqual(0, exit, output);
            var accuracy = Regex.Match(output, @"test accuracy ([\d.]+) %");
            Assert.IsTrue(accuracy.Success, output);
            Assert.IsTrue(double.Parse(accuracy.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 90, output);
            StringAssert.Contains(output, "(5 + 7) mod 23 = 12");
            Assert.IsTrue(File.Exists(Path.Combine(folder, "sums.zip")), "the example saved its model");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (int Exit, string Output) Dotnet(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
