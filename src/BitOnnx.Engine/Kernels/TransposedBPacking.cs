using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Packs one panel of op(B) = Bᵀ, B stored [n×k]: panel[p·kernelColumns + j] = source[j·k + p] for the panel's
/// columns j and steps p, zeros in the columns past <c>columns</c>. <see cref="PackReference"/> is the plain loop;
/// <see cref="Pack"/> moves 8×8 blocks through registers (eight row loads, 24 shuffles, eight stores) and leaves the
/// ragged edges to the plain loop. Why: the plain loop's one-float stores cost 3-5 % of the products that pack a
/// transposed B (dR·W_outᵀ, dH·W_inᵀ, dLogits·W_Uᵀ); the result is the same floats in the same places.
/// </summary>
internal static unsafe class TransposedBPacking
{
    public static void Pack(float* source, int k, int kc, int columns, int kernelColumns, float* panel)
    {
        if (!Avx.IsSupported)
        {
            PackReference(source, k, kc, columns, kernelColumns, panel);
            return;
        }

        int wholeColumns = columns / 8 * 8, wholeSteps = kc / 8 * 8;
        for (int j = 0; j < wholeColumns; j += 8)
        {
            for (int p = 0; p < wholeSteps; p += 8)
            {
                Transpose8x8(source + ((long)j * k) + p, k, panel + ((long)p * kernelColumns) + j, kernelColumns);
            }
        }

        // The ragged edges by the plain loop: the last steps of the whole columns, then the rest of the columns.
        PackReference(source + wholeSteps, k, kc - wholeSteps, wholeColumns, kernelColumns,
            panel + ((long)wholeSteps * kernelColumns), wholeColumns);
        PackReference(source + ((long)wholeColumns * k), k, kc, columns - wholeColumns, kernelColumns, panel + wholeColumns,
            kernelColumns - wholeColumns);
    }

    /// <summary>
    /// The plain loop over the panel's columns; <paramref name="width"/> columns of the panel are written in all (the
    /// ones past <paramref name="columns"/> as zeros), by default the whole panel.
    /// </summary>
    public static void PackReference(float* source, int k, int kc, int columns, int kernelColumns, float* panel, int width = -1)
    {
        width = width < 0 ? kernelColumns : width;
        for (int j = 0; j < columns; j++, source += k)
        {
            float* target = panel + j;
            for (int p = 0; p < kc; p++, target += kernelColumns)
            {
                *target = source[p];
            }
        }

        if (columns < width)
        {
            for (int p = 0; p < kc; p++)
            {
                new Span<float>(panel + ((long)p * kernelColumns) + columns, width - columns).Clear();
            }
        }
    }

    /// <summary>Rows r0..r7 (each eight floats, <paramref name="stride"/> apart) become columns of the target block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, nint stride, float* target, nint targetStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + stride);
        Vector256<float> r2 = Avx.LoadVector256(source + (2 * stride)), r3 = Avx.LoadVector256(source + (3 * stride));
        Vector256<float> r4 = Avx.LoadVector256(source + (4 * stride)), r5 = Avx.LoadVector256(source + (5 * stride));
        Vector256<float> r6 = Avx.LoadVector256(source + (6 * stride)), r7 = Avx.LoadVector256(source + (7 * stride));

        // Pairs of rows interleaved, then quarters: s0..s3 hold steps (0|4), (1|5), (2|6), (3|7) of rows 0-3, s4..s7 of rows 4-7.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(target, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(target + targetStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(target + (2 * targetStride), Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(target + (3 * targetStride), Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(target + (4 * targetStride), Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(target + (5 * targetStride), Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(target + (6 * targetStride), Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(target + (7 * targetStride), Avx.Permute2x128(s3, s7, 0x31));
    }
}
