using System.Runtime.InteropServices;
using System.Text;

namespace BitOnnx.Runtime.Native;

/// <summary>NUL-terminated UTF-8 strings for the C API.</summary>
internal static unsafe class Utf8
{
    public static string ToString(byte* text) => text == null ? string.Empty : Marshal.PtrToStringUTF8((nint)text) ?? string.Empty;

    /// <summary>A managed NUL-terminated copy, for use under <c>fixed</c>.</summary>
    public static byte[] Bytes(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>An unmanaged NUL-terminated copy; free with <see cref="Free"/>.</summary>
    public static nint Allocate(string text) => Marshal.StringToCoTaskMemUTF8(text);

    public static void Free(nint text) => Marshal.FreeCoTaskMem(text);
}
