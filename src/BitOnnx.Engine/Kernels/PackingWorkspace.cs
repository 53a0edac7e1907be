using System.Runtime.CompilerServices;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Per-thread scratch for packed panels: grown on first use, reused by every later product on the same thread,
/// so the hot path allocates nothing. It lives on the pinned object heap and is handed out 64-byte aligned, so
/// packed panels start on cache lines and vector loads never split one.
/// </summary>
internal static unsafe class PackingWorkspace
{
    private const int AlignmentFloats = 16;

    [ThreadStatic]
    private static float[]? storage;

    [ThreadStatic]
    private static nint alignedStart;

    [ThreadStatic]
    private static int capacity;

    /// <summary>A 64-byte aligned scratch area of at least <paramref name="floats"/> floats for this thread.</summary>
    public static float* Get(int floats)
    {
        if (storage is null || capacity < floats)
        {
            storage = GC.AllocateUninitializedArray<float>(floats + AlignmentFloats, pinned: true);
            nint start = (nint)Unsafe.AsPointer(ref storage[0]);
            alignedStart = (start + 63) & ~(nint)63;
            capacity = floats;
        }

        return (float*)alignedStart;
    }
}
