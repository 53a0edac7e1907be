using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitOnnx.Engine.Kernels;

/// <summary>
/// target[j·targetStride + i] = source[i·sourceStride + j] for the <c>rows</c> × <c>columns</c> block at
/// <c>source</c>; nothing else in target is written. <see cref="TransposeReference"/> is the plain loop;
/// <see cref="Transpose"/> moves 8×8 blocks through registers (eight row loads, 24 shuffles, eight stores) and
/// leaves the ragged edges to the plain loop. The product uses it to pack a transposed B and to turn a result it
/// computed transposed back round; one-float stores there cost 3-5 % of the products that pack a transposed B.
/// </summary>
internal static unsafe class MatrixTranspose
{
    public static void Transpose(float* source, nint sourceStride, int rows, int columns, float* target, nint targetStride)
    {
        if (!Avx.IsSupported)
        {
            TransposeReference(source, sourceStride, rows, columns, target, targetStride);
            return;
        }

        int wholeRows = rows / 8 * 8, wholeColumns = columns / 8 * 8;
        for (int i = 0; i < wholeRows; i += 8)
        {
            for (int j = 0; j < wholeColumns; j += 8)
            {
                Transpose8x8(source + (i * sourceStride) + j, sourceStride, target + (j * targetStride) + i, targetStride);
            }
        }

        // The ragged edges: the last columns of the whole rows, then the last rows in full.
        TransposeReference(source + wholeColumns, sourceStride, wholeRows, columns - wholeColumns,
            target + (wholeColumns * targetStride), targetStride);
        TransposeReference(source + (wholeRows * sourceStride), sourceStride, rows - wholeRows, columns,
            target + wholeRows, targetStride);
    }

    public static void TransposeReference(float* source, nint sourceStride, int rows, int columns, float* target, nint targetStride)
    {
        for (int i = 0; i < rows; i++, source += sourceStride)
        {
            float* column = target + i;
            for (int j = 0; j < columns; j++, column += targetStride)
            {
                *column = source[j];
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

        // Pairs of rows interleaved, then quarters: s0..s3 hold columns (0|4), (1|5), (2|6), (3|7) of rows 0-3, s4..s7 of rows 4-7.
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
