namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Memory the micro-kernels bring into L2 while they multiply (PREFETCHT1, a 64-byte line every two k steps): what the
/// driver reads next and would otherwise wait for. First the stretch given to <see cref="SetNext"/> (the rows of an
/// in-place A that the next micro-panels read, or the rows of a transposed A that the next depth block packs), then
/// the one given to <see cref="SetLater"/> (the rows of B that the next depth group packs). Each kernel call takes
/// the next kc·<see cref="FloatsPerStep"/> floats; once both are used up, a call gets an address it reads anyway.
/// Why: packing and first reads of a 2-8 MB operand missed cache and stalled the multiply-adds behind them; fetched
/// ahead in the kernel's spare load slots, the epoch's ten products ran 4-7 % faster together on AVX-512 than
/// without it, while on AVX2 the gain was within the noise (docs/speed-and-grokfast.md).
/// </summary>
internal unsafe struct PrefetchStream
{
    /// <summary>Floats the kernels' prefetch address moves per k step: a line every two steps.</summary>
    public const int FloatsPerStep = 8;

    private float* next, nextEnd, later, laterEnd;

    public void SetNext(float* from, long floats)
    {
        next = from;
        nextEnd = from + Math.Max(0, floats);
    }

    public void SetLater(float* from, long floats)
    {
        later = from;
        laterEnd = from + Math.Max(0, floats);
    }

    /// <summary>
    /// Where a kernel call of <paramref name="kc"/> steps prefetches from; <paramref name="readAnyway"/> (memory the
    /// call reads itself) once nothing is left. The last call of a stretch may run past its end: prefetches never fault.
    /// </summary>
    public float* Take(int kc, float* readAnyway)
    {
        long floats = (long)kc * FloatsPerStep;
        if (next < nextEnd)
        {
            float* start = next;
            next += floats;
            return start;
        }

        if (later < laterEnd)
        {
            float* start = later;
            later += floats;
            return start;
        }

        return readAnyway;
    }
}
