using System.Runtime.CompilerServices;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Per-thread scratch: one area for packed panels and one for a result computed transposed
/// (<see cref="GemmOrientation"/>). Each is grown on first use and reused by every later product on the same thread,
/// so the hot path allocates nothing; each lives on the pinned object heap and is handed out 64-byte aligned, so
/// packed panels start on cache lines and vector loads never split one.
/// </summary>
internal static unsafe class PackingWorkspace
{
    [ThreadStatic]
    private static AlignedScratch? panels;

    [ThreadStatic]
    private static AlignedScratch? transposedResult;

    /// <summary>A 64-byte aligned area of at least <paramref name="floats"/> floats for this thread's packed panels.</summary>
    public static float* Get(int floats) => (panels ??= new AlignedScratch()).Get(floats);

    /// <summary>A second area, for Cᵀ while a product is computed transposed; the driver's panels use the first.</summary>
    public static float* GetTransposedResult(int floats) => (transposedResult ??= new AlignedScratch()).Get(floats);

    private sealed class AlignedScratch
    {
        private const int AlignmentFloats = 16;

        private float[]? storage;
        private nint alignedStart;
        private int capacity;

        public float* Get(int floats)
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
}
