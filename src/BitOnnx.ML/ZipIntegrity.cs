using System.IO.Compression;
using BitOnnx.Core;

namespace BitOnnx.ML;

/// <summary>
/// Checks a zip before ML.NET reads it: every entry must decompress and match the CRC-32 its directory records.
/// .NET's ZipArchive does not compare CRCs, and ML.NET's loader meets a corrupt entry in whatever state it leaves the
/// loader (a null reference, in some cases) instead of naming the file, so the zip is proven whole here first.
/// </summary>
internal static class ZipIntegrity
{
    public static void Require(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var buffer = new byte[1 << 16];
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                uint crc = uint.MaxValue;
                for (int read; (read = stream.Read(buffer)) > 0;) crc = Crc32.Update(crc, buffer.AsSpan(0, read));
                if (~crc != entry.Crc32)
                    throw new InvalidFileException(path, $"'{path}' is a corrupt zip: entry '{entry.FullName}' does not match its checksum.");
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidFileException(path, $"'{path}' is not a readable zip ({e.Message}); give a model zip written by bitonnx export -o model.zip.", e);
        }
    }

    /// <summary>CRC-32 of ZIP (IEEE 802.3, reflected polynomial 0xEDB88320), one byte at a time from a 256-entry table.</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
        {
            var c = (uint)n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            return c;
        }).ToArray();

        public static uint Update(uint crc, ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
