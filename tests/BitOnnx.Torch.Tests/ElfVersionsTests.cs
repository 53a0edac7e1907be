using System.Diagnostics;
using BitOnnx.Torch.NativeFixup;

namespace BitOnnx.Torch.Tests;

/// <summary>The ELF edit of NativeFixup/, on copies of the real libLibTorchSharp.so 0.107.0 as NuGet ships it.</summary>
[TestClass]
public sealed class ElfVersionsTests
{
    private static readonly string Original = Path.Combine(AppContext.BaseDirectory, "Fixtures", "libLibTorchSharp.so.original");
    private const ushort Weak = 2;

    [TestMethod]
    public void MarksOnlyTheGlibcxx3432RequirementWeakAndOnlyOnce()
    {
        var before = File.ReadAllBytes(Original);
        var at = ElfVersions.NeededVersionFlagsOffset(before, LibTorchSharpFixup.MissingVersion);
        Assert.IsTrue(at > 0, "the shipped library asks for GLIBCXX_3.4.32");
        var flagsBefore = (ushort)(before[at] | before[at + 1] << 8);
        Assert.AreEqual(0, flagsBefore & Weak, "shipped as a strong requirement");

        var after = (byte[])before.Clone();
        Assert.AreEqual(WeakMarking.Marked, ElfVersions.MarkNeededVersionWeak(after, LibTorchSharpFixup.MissingVersion));
        Assert.AreEqual(flagsBefore | Weak, after[at] | after[at + 1] << 8);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        CollectionAssert.AreEqual(new[] { (int)at }, changed, "exactly the low byte of vna_flags changes");

        var again = (byte[])after.Clone();
        Assert.AreEqual(WeakMarking.AlreadyWeak, ElfVersions.MarkNeededVersionWeak(again, LibTorchSharpFixup.MissingVersion));
        CollectionAssert.AreEqual(after, again);
        Assert.AreEqual(WeakMarking.NotNeeded, ElfVersions.MarkNeededVersionWeak(again, "GLIBCXX_9.9.99"));
    }

    /// <summary>An outside reference for the offset: binutils' readelf, where it is installed (inconclusive otherwise).</summary>
    [TestMethod]
    public void ReadelfSeesTheRequirementWeakAfterTheEdit()
    {
        var copy = Path.GetTempFileName();
        try
        {
            File.Copy(Original, copy, true);
            Assert.AreEqual(WeakMarking.Marked, LibTorchSharpFixup.Apply(copy));
            string output;
            try
            {
                using var readelf = Process.Start(new ProcessStartInfo("readelf", ["-V", copy]) { RedirectStandardOutput = true })!;
                output = readelf.StandardOutput.ReadToEnd();
                readelf.WaitForExit();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                Assert.Inconclusive("readelf is not installed here.");
                return;
            }
            var line = output.Split('\n').Single(l => l.Contains("Name: " + LibTorchSharpFixup.MissingVersion));
            StringAssert.Contains(line, "Flags: WEAK");
            Assert.AreEqual(0, output.Split('\n').Count(l => l.Contains("Flags: WEAK") && !l.Contains(LibTorchSharpFixup.MissingVersion)));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [TestMethod]
    public void ApplyWritesANewFileSoAHardLinkedOriginalStaysUntouched()
    {
        var folder = Directory.CreateTempSubdirectory("bitonnx-elf-").FullName;
        try
        {
            var cache = Path.Combine(folder, "cache.so");
            var output = Path.Combine(folder, "libLibTorchSharp.so");
            File.Copy(Original, cache);
            if (!HardLink(cache, output)) Assert.Inconclusive("ln is not available to make a hard link.");
            var stamp = File.GetLastWriteTimeUtc(output);

            Assert.AreEqual(WeakMarking.Marked, LibTorchSharpFixup.Apply(output));
            CollectionAssert.AreEqual(File.ReadAllBytes(Original), File.ReadAllBytes(cache), "the linked original is unchanged");
            Assert.AreEqual(WeakMarking.AlreadyWeak, ElfVersions.MarkNeededVersionWeak(File.ReadAllBytes(output), LibTorchSharpFixup.MissingVersion));
            Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(output), "time stamp kept, so MSBuild's incremental copy leaves it");
            Assert.AreEqual(WeakMarking.AlreadyWeak, LibTorchSharpFixup.Apply(output));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [TestMethod]
    public void TruncatedOrForeignFilesFailWithAClearMessage()
    {
        var bytes = File.ReadAllBytes(Original);
        var truncated = bytes.AsSpan(0, bytes.Length / 2).ToArray();
        var e = Assert.ThrowsException<ElfFormatException>(() => ElfVersions.MarkNeededVersionWeak(truncated, LibTorchSharpFixup.MissingVersion));
        StringAssert.Contains(e.Message, "truncated");

        var text = "#!/bin/sh\necho not a library\n"u8.ToArray().Concat(new byte[64]).ToArray();
        e = Assert.ThrowsException<ElfFormatException>(() => ElfVersions.MarkNeededVersionWeak(text, LibTorchSharpFixup.MissingVersion));
        StringAssert.Contains(e.Message, "not an ELF file");

        var header = bytes.AsSpan(0, 64).ToArray();
        Assert.ThrowsException<ElfFormatException>(() => ElfVersions.DefinedVersions(header));
    }

    [TestMethod]
    public void ReadsTheHostLibStdCxxVersionDefinitions()
    {
        var host = LibTorchSharpFixup.FindHostLibStdCxx();
        if (host is null) Assert.Inconclusive("no system libstdc++.so.6 in the usual places.");
        var versions = ElfVersions.DefinedVersions(File.ReadAllBytes(host));
        CollectionAssert.Contains(versions, "GLIBCXX_3.4", "every libstdc++ since GCC 3.4 defines GLIBCXX_3.4");
        CollectionAssert.Contains(versions, "CXXABI_1.3");
    }

    /// <summary>The build step ran on this test project's own output: weak exactly when the host lacks the version.</summary>
    [TestMethod]
    public void TheBuildFixedThisOutputFolderOnlyWhereTheHostNeedsIt()
    {
        var built = new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") }
            .Select(f => Path.Combine(f, LibTorchSharpFixup.LibraryName)).First(File.Exists);
        var host = LibTorchSharpFixup.FindHostLibStdCxx();
        var hostNeedsIt = host is null || !LibTorchSharpFixup.Provides(host);
        var weak = ElfVersions.MarkNeededVersionWeak(File.ReadAllBytes(built), LibTorchSharpFixup.MissingVersion) == WeakMarking.AlreadyWeak;
        Assert.AreEqual(hostNeedsIt, weak, $"host {host}: needs the fix-up = {hostNeedsIt}");
    }

    private static bool HardLink(string target, string link)
    {
        try
        {
            using var ln = Process.Start("ln", [target, link]);
            ln.WaitForExit();
            return ln.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
