using System.Runtime.InteropServices;

namespace BitOnnx.Runtime.Tests;

/// <summary>
/// Bytes the C heap has handed out and not taken back (glibc mallinfo2: uordblks + hblkhd, over all arenas).
/// ONNX Runtime allocates through malloc, so this sees native leaks that the resident set hides behind allocator
/// caching and the GC's own heap growth.
/// </summary>
internal static unsafe class NativeHeap
{
    private static readonly nint MallInfo2 =
        NativeLibrary.TryLoad("libc.so.6", out nint libc) && NativeLibrary.TryGetExport(libc, "mallinfo2", out nint f) ? f : 0;

    public static bool IsAvailable => MallInfo2 != 0;

    public static long BytesInUse()
    {
        if (MallInfo2 == 0) throw new PlatformNotSupportedException("glibc 2.33+ (mallinfo2) is needed to measure the C heap.");
        var info = ((delegate* unmanaged<MallocInfo>)MallInfo2)();
        return (long)(info.Uordblks + info.Hblkhd);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallocInfo
    {
        public nuint Arena;
        public nuint Ordblks;
        public nuint Smblks;
        public nuint Hblks;
        public nuint Hblkhd;
        public nuint Usmblks;
        public nuint Fsmblks;
        public nuint Uordblks;
        public nuint Fordblks;
        public nuint Keepcost;
    }
}
