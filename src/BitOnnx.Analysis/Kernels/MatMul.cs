using System.Numerics;
using System.Runtime.CompilerServices;

namespace BitOnnx.Analysis.Kernels;

/// <summary>
/// C[m, n] = A[m, k] · B[k, n], row-major, double. The fast path keeps a 4-row × 2-vector tile of C in
/// registers across the whole k loop, so each loaded strip of B feeds 8 fused multiply-adds; column strips are
/// independent, so they run in parallel and every element is still summed in the same order (deterministic).
/// <see cref="MatMulReference"/> is the plain triple loop the tests compare against.
/// </summary>
internal static unsafe class MatMul
{
    private const int RowTile = 4;

    /// <summary>Multiplies A by B into C (C is overwritten).</summary>
    public static void Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n, bool parallel = true)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"MatMul: buffers too small for [{m}x{k}]·[{k}x{n}].");

        int w = Vector<double>.Count;
        int strip = 2 * w;
        int strips = n / strip;
        fixed (double* pa = a, pb = b, pc = c)
        {
            var args = new Operands(pa, pb, pc, m, k, n);
            if (parallel && strips >= 16 && Environment.ProcessorCount > 1)
            {
                // Chunks of strips, so the scheduling overhead stays small against ~m*k*16 FMAs per strip.
                int chunk = Math.Max(4, strips / (4 * Environment.ProcessorCount));
                int chunks = (strips + chunk - 1) / chunk;
                Parallel.For(0, chunks, ci =>
                {
                    int s0 = ci * chunk, s1 = Math.Min(strips, s0 + chunk);
                    for (int s = s0; s < s1; s++) Strip(args, s * strip);
                });
            }
            else
            {
                for (int s = 0; s < strips; s++) Strip(args, s * strip);
            }
            ColumnTail(args, strips * strip);
        }
    }

    private readonly struct Operands(double* a, double* b, double* c, int m, int k, int n)
    {
        public readonly double* A = a, B = b, C = c;
        public readonly int M = m, K = k, N = n;
    }

    // One column strip [j0, j0 + 2W) of C for all rows.
    private static void Strip(in Operands o, int j0)
    {
        int w = Vector<double>.Count;
        int i = 0;
        for (; i + RowTile <= o.M; i += RowTile)
        {
            Vector<double> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector<double> c20 = default, c21 = default, c30 = default, c31 = default;
            double* a0 = o.A + (long)i * o.K, a1 = a0 + o.K, a2 = a1 + o.K, a3 = a2 + o.K;
            double* bp = o.B + j0;
            for (int kk = 0; kk < o.K; kk++, bp += o.N)
            {
                var b0 = Unsafe.ReadUnaligned<Vector<double>>(bp);
                var b1 = Unsafe.ReadUnaligned<Vector<double>>(bp + w);
                var v0 = new Vector<double>(a0[kk]);
                var v1 = new Vector<double>(a1[kk]);
                var v2 = new Vector<double>(a2[kk]);
                var v3 = new Vector<double>(a3[kk]);
                c00 = Vector.FusedMultiplyAdd(v0, b0, c00); c01 = Vector.FusedMultiplyAdd(v0, b1, c01);
                c10 = Vector.FusedMultiplyAdd(v1, b0, c10); c11 = Vector.FusedMultiplyAdd(v1, b1, c11);
                c20 = Vector.FusedMultiplyAdd(v2, b0, c20); c21 = Vector.FusedMultiplyAdd(v2, b1, c21);
                c30 = Vector.FusedMultiplyAdd(v3, b0, c30); c31 = Vector.FusedMultiplyAdd(v3, b1, c31);
            }
            double* cp = o.C + (long)i * o.N + j0;
            Unsafe.WriteUnaligned(cp, c00); Unsafe.WriteUnaligned(cp + w, c01); cp += o.N;
            Unsafe.WriteUnaligned(cp, c10); Unsafe.WriteUnaligned(cp + w, c11); cp += o.N;
            Unsafe.WriteUnaligned(cp, c20); Unsafe.WriteUnaligned(cp + w, c21); cp += o.N;
            Unsafe.WriteUnaligned(cp, c30); Unsafe.WriteUnaligned(cp + w, c31);
        }
        for (; i < o.M; i++)
        {
            Vector<double> c0 = default, c1 = default;
            double* ar = o.A + (long)i * o.K;
            double* bp = o.B + j0;
            for (int kk = 0; kk < o.K; kk++, bp += o.N)
            {
                var v = new Vector<double>(ar[kk]);
                c0 = Vector.FusedMultiplyAdd(v, Unsafe.ReadUnaligned<Vector<double>>(bp), c0);
                c1 = Vector.FusedMultiplyAdd(v, Unsafe.ReadUnaligned<Vector<double>>(bp + w), c1);
            }
            double* cp = o.C + (long)i * o.N + j0;
            Unsafe.WriteUnaligned(cp, c0);
            Unsafe.WriteUnaligned(cp + w, c1);
        }
    }

    // Columns [j0, n) that do not fill a whole strip: plain scalar, same summation order as the reference.
    private static void ColumnTail(in Operands o, int j0)
    {
        for (int i = 0; i < o.M; i++)
        {
            double* ar = o.A + (long)i * o.K;
            for (int j = j0; j < o.N; j++)
            {
                double s = 0;
                for (int kk = 0; kk < o.K; kk++) s = Math.FusedMultiplyAdd(ar[kk], o.B[(long)kk * o.N + j], s);
                o.C[(long)i * o.N + j] = s;
            }
        }
    }
}
