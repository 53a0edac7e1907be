// The libstdc++ fix-up of TorchSharp's native library, and the MSBuild task that applies it after build and publish.
// This one file is compiled twice: into BitOnnx.Torch (which defines BITONNX_TORCH_LIBRARY, for tests and load
// diagnostics) and by MSBuild's RoslynCodeTaskFactory (see LibTorchSharpFixup.targets), which compiles against
// netstandard: hence plain byte arrays, no spans, no records.
//
// Why: libLibTorchSharp.so 0.107.0 asks libstdc++.so.6 for version GLIBCXX_3.4.32 for one symbol it never calls
// (_ZSt21ios_base_library_initv, GCC 13's iostream-init marker). Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so the
// loader refuses the library. Marking that one version requirement weak (VER_FLG_WEAK in its Elf64_Vernaux) makes the
// loader accept its absence. ELF layout from glibc's elf.h.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace BitOnnx.Torch.NativeFixup;

/// <summary>A file that is not the 64-bit little-endian ELF shared object the fix-up expects.</summary>
public sealed class ElfFormatException : Exception
{
    public ElfFormatException(string message) : base(message) { }
}

/// <summary>What <see cref="ElfVersions.MarkNeededVersionWeak"/> found.</summary>
public enum WeakMarking
{
    /// <summary>The requirement was strong and is now weak.</summary>
    Marked,
    /// <summary>The requirement was weak already; nothing changed.</summary>
    AlreadyWeak,
    /// <summary>The file does not ask for that version; nothing changed.</summary>
    NotNeeded,
}

/// <summary>Reads and edits the symbol-version sections of a 64-bit little-endian ELF file held in memory.</summary>
public static class ElfVersions
{
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;
    private const int SectionHeaderSize = 64;

    /// <summary>Byte offset of the vna_flags field of the Vernaux that needs <paramref name="version"/>, or -1.</summary>
    public static long NeededVersionFlagsOffset(byte[] elf, string version)
    {
        foreach (var section in Sections(elf, ShtGnuVerneed))
        {
            // Elf64_Verneed { u16 vn_version, u16 vn_cnt, u32 vn_file, u32 vn_aux, u32 vn_next }; sh_info = entry count.
            long entry = section.Offset;
            for (uint i = 0; i < section.Info; i++)
            {
                Need(elf, entry, 16, "an Elf64_Verneed entry");
                var count = U16(elf, entry + 2);
                var aux = entry + U32(elf, entry + 8);
                for (var j = 0; j < count; j++)
                {
                    // Elf64_Vernaux { u32 vna_hash, u16 vna_flags, u16 vna_other, u32 vna_name, u32 vna_next }.
                    Need(elf, aux, 16, "an Elf64_Vernaux entry");
                    if (String(elf, section.Strings, U32(elf, aux + 8)) == version) return aux + 4;
                    aux += U32(elf, aux + 12);
                }
                var next = U32(elf, entry + 12);
                if (next == 0) break;
                entry += next;
            }
        }
        return -1;
    }

    /// <summary>Sets VER_FLG_WEAK on the requirement of <paramref name="version"/>, in place; idempotent.</summary>
    public static WeakMarking MarkNeededVersionWeak(byte[] elf, string version)
    {
        var at = NeededVersionFlagsOffset(elf, version);
        if (at < 0) return WeakMarking.NotNeeded;
        var flags = U16(elf, at);
        if ((flags & VerFlgWeak) != 0) return WeakMarking.AlreadyWeak;
        flags |= VerFlgWeak;
        elf[at] = (byte)flags;
        elf[at + 1] = (byte)(flags >> 8);
        return WeakMarking.Marked;
    }

    /// <summary>The version names a library defines (its .gnu.version_d), e.g. GLIBCXX_3.4.30 for libstdc++.</summary>
    public static List<string> DefinedVersions(byte[] elf)
    {
        var names = new List<string>();
        foreach (var section in Sections(elf, ShtGnuVerdef))
        {
            // Elf64_Verdef { u16 vd_version, u16 vd_flags, u16 vd_ndx, u16 vd_cnt, u32 vd_hash, u32 vd_aux, u32 vd_next };
            // the first Elf64_Verdaux { u32 vda_name, u32 vda_next } names the version.
            long entry = section.Offset;
            for (uint i = 0; i < section.Info; i++)
            {
                Need(elf, entry, 20, "an Elf64_Verdef entry");
                var aux = entry + U32(elf, entry + 12);
                Need(elf, aux, 8, "an Elf64_Verdaux entry");
                names.Add(String(elf, section.Strings, U32(elf, aux)));
                var next = U32(elf, entry + 16);
                if (next == 0) break;
                entry += next;
            }
        }
        return names;
    }

    private struct Section
    {
        public long Offset;
        public uint Info;
        /// <summary>File offset of the string table named by sh_link.</summary>
        public long Strings;
    }

    private static List<Section> Sections(byte[] elf, uint type)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new ElfFormatException("not an ELF file (no \\x7fELF magic in its first bytes)");
        if (elf[4] != 2 || elf[5] != 1) throw new ElfFormatException("not a 64-bit little-endian ELF file");
        var headers = (long)U64(elf, 0x28);
        var entrySize = U16(elf, 0x3a);
        var count = U16(elf, 0x3c);
        if (entrySize != SectionHeaderSize) throw new ElfFormatException($"section header size {entrySize} is not {SectionHeaderSize}");
        Need(elf, headers, (long)count * SectionHeaderSize, "the section header table");
        var found = new List<Section>();
        for (var i = 0; i < count; i++)
        {
            var h = headers + (long)i * SectionHeaderSize;
            if (U32(elf, h + 4) != type) continue;
            var offset = (long)U64(elf, h + 24);
            var size = (long)U64(elf, h + 32);
            var link = U32(elf, h + 40);
            Need(elf, offset, size, "a version section");
            if (link >= count) throw new ElfFormatException($"a version section links to section {link} of {count}");
            var strings = (long)U64(elf, headers + (long)link * SectionHeaderSize + 24);
            found.Add(new Section { Offset = offset, Info = U32(elf, h + 44), Strings = strings });
        }
        return found;
    }

    private static void Need(byte[] elf, long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset + length > elf.Length)
            throw new ElfFormatException($"{what} at byte {offset} runs past the end of the file ({elf.Length} bytes): the file is truncated or corrupt");
    }

    private static string String(byte[] elf, long table, uint index)
    {
        var start = table + index;
        Need(elf, start, 1, "a version name");
        var end = start;
        while (end < elf.Length && elf[end] != 0) end++;
        if (end == elf.Length) throw new ElfFormatException($"the version name at byte {start} has no terminating NUL: the file is truncated or corrupt");
        return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
    }

    private static ushort U16(byte[] b, long at)
    {
        Need(b, at, 2, "a field");
        return (ushort)(b[at] | b[at + 1] << 8);
    }

    private static uint U32(byte[] b, long at)
    {
        Need(b, at, 4, "a field");
        return (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);
    }

    private static ulong U64(byte[] b, long at) => U32(b, at) | (ulong)U32(b, at + 4) << 32;
}

/// <summary>The decision and the file handling: which libstdc++ the host has, and a whole-file replacement.</summary>
public static class LibTorchSharpFixup
{
    public const string MissingVersion = "GLIBCXX_3.4.32";
    public const string LibraryName = "libLibTorchSharp.so";

    /// <summary>Where Linux distributions keep the system libstdc++ (Debian/Ubuntu multiarch first).</summary>
    public static readonly string[] HostLibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    /// <summary>The first libstdc++.so.6 of <see cref="HostLibStdCxxCandidates"/> that exists, or null.</summary>
    public static string? FindHostLibStdCxx()
    {
        foreach (var path in HostLibStdCxxCandidates)
            if (File.Exists(path)) return path;
        return null;
    }

    /// <summary>True when the libstdc++ at <paramref name="libStdCxx"/> defines <see cref="MissingVersion"/>.</summary>
    public static bool Provides(string libStdCxx) => ElfVersions.DefinedVersions(File.ReadAllBytes(libStdCxx)).Contains(MissingVersion);

    /// <summary>
    /// Marks the requirement weak in the file at <paramref name="library"/>, writing a new file and renaming it over
    /// the old one (the old one may be a hard link into the NuGet cache, which must stay untouched).
    /// </summary>
    public static WeakMarking Apply(string library)
    {
        var bytes = File.ReadAllBytes(library);
        var outcome = ElfVersions.MarkNeededVersionWeak(bytes, MissingVersion);
        if (outcome != WeakMarking.Marked) return outcome;
        var temp = library + ".fixup-" + Guid.NewGuid().ToString("N");
        try
        {
            // A copy first keeps the file mode; then the new bytes, the original's time stamp (MSBuild's incremental
            // copy compares size and time, so it then leaves the fixed file be) and a rename over the original.
            File.Copy(library, temp);
            File.WriteAllBytes(temp, bytes);
            File.SetLastWriteTimeUtc(temp, File.GetLastWriteTimeUtc(library));
            File.Replace(temp, library, null);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return outcome;
    }
}

#if !BITONNX_TORCH_LIBRARY
/// <summary>Applies the fix-up to every libLibTorchSharp.so under Directory, when the host's libstdc++ needs it.</summary>
public sealed class ApplyLibTorchSharpFixup : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required] public string Directory { get; set; } = "";

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        var libraries = System.IO.Directory.GetFiles(Directory, BitOnnx.Torch.NativeFixup.LibTorchSharpFixup.LibraryName, System.IO.SearchOption.AllDirectories);
        if (libraries.Length == 0) return true;
        var host = BitOnnx.Torch.NativeFixup.LibTorchSharpFixup.FindHostLibStdCxx();
        const string version = BitOnnx.Torch.NativeFixup.LibTorchSharpFixup.MissingVersion;
        try
        {
            if (host != null && BitOnnx.Torch.NativeFixup.LibTorchSharpFixup.Provides(host))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"libLibTorchSharp.so fix-up not needed: {host} defines {version}.");
                return true;
            }
            var why = host == null ? "no system libstdc++.so.6 was found to check" : $"{host} lacks {version}";
            foreach (var library in libraries)
            {
                var outcome = BitOnnx.Torch.NativeFixup.LibTorchSharpFixup.Apply(library);
                if (outcome == BitOnnx.Torch.NativeFixup.WeakMarking.Marked)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        $"BitOnnx: marked {library}'s requirement of {version} weak, because {why} (the library never calls the one symbol of that version); the NuGet cache copy is untouched.");
                else
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"libLibTorchSharp.so fix-up: {library}: {outcome}.");
            }
            return true;
        }
        catch (System.Exception e) when (e is BitOnnx.Torch.NativeFixup.ElfFormatException or System.IO.IOException or System.UnauthorizedAccessException)
        {
            Log.LogError($"BitOnnx could not apply the libstdc++ fix-up to libLibTorchSharp.so under {Directory}: {e.Message}. TorchSharp will not load on this host without it.");
            return false;
        }
    }
}
#endif
