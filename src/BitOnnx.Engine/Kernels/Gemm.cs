namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Fast single-precision matrix product for the training engine: packed panels, a register-blocked AVX-512
/// micro-kernel (AVX2 and plain fallbacks), and a split of C (never of k) across threads.
/// Every element of C is one fused multiply-add chain in k order (starting from C when accumulating), computed by
/// exactly one thread, and computed the same way whichever thread, tile or block it falls in; so results are
/// bit-identical for any thread count, across runs, and between kernels on machines with hardware FMA.
/// <see cref="GemmReference"/> is the independent scalar reference.
/// </summary>
public static class Gemm
{
    /// <summary>The micro-kernel this machine uses: "avx512", "avx2" or "scalar".</summary>
    internal static string KernelName =>
        Avx512MicroKernel.IsSupported ? "avx512" : Avx2MicroKernel.IsSupported ? "avx2" : "scalar";

    /// <summary>
    /// C[m×n] = op(A)·op(B) (or C += when accumulate), all row-major and contiguous.
    /// op(A) is A[m×k], or Aᵀ where A is stored [k×m] when transposeA; op(B) is B[k×n], or Bᵀ where B is stored
    /// [n×k] when transposeB. <paramref name="threads"/> is the most threads to use, the caller's included;
    /// small products use fewer. Throws <see cref="ArgumentException"/> when a span is shorter than its
    /// dimensions need, a dimension is negative, C overlaps A or B, or threads is below 1.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transposeA = false, bool transposeB = false, bool accumulate = false, int threads = 1)
    {
        GemmShape shape = GemmShape.Validate(a, b, c, m, n, k, transposeA, transposeB, accumulate, threads);
        using var timing = Training.EpochProfile.Time(Training.EpochPart.Gemm);
        Training.EpochProfile.AddGemmFlops(m, n, k);
        if (Avx512MicroKernel.IsSupported)
        {
            Multiply<Avx512MicroKernel>(a, b, c, shape, threads);
        }
        else if (Avx2MicroKernel.IsSupported)
        {
            Multiply<Avx2MicroKernel>(a, b, c, shape, threads);
        }
        else
        {
            Multiply<ScalarMicroKernel>(a, b, c, shape, threads);
        }
    }

    /// <summary>The product with a chosen micro-kernel (tests run every kernel the machine supports).</summary>
    internal static unsafe void Multiply<TKernel>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        in GemmShape shape, int threads)
        where TKernel : struct, IGemmMicroKernel
    {
        if (!GemmOrientation.ComputesTransposed(shape))
        {
            MultiplyAsGiven<TKernel>(a, b, c, shape, threads);
            return;
        }

        // Cᵀ into scratch (holding C first when accumulating), then back into C.
        fixed (float* pc = c)
        {
            int m = shape.M, n = shape.N;
            float* transposed = PackingWorkspace.GetTransposedResult(m * n);
            if (shape.Accumulate)
            {
                MatrixTranspose.Transpose(pc, n, m, n, transposed, m);
            }

            MultiplyAsGiven<TKernel>(b, a, new Span<float>(transposed, m * n), GemmOrientation.Transposed(shape), threads);
            MatrixTranspose.Transpose(transposed, m, n, m, pc, n);
        }
    }

    /// <summary>The product the way round it is given (<see cref="GemmOrientation"/> not consulted).</summary>
    internal static unsafe void MultiplyAsGiven<TKernel>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        in GemmShape shape, int threads)
        where TKernel : struct, IGemmMicroKernel
    {
        if (shape.M == 0 || shape.N == 0)
        {
            return;
        }

        if (shape.K == 0)
        {
            if (!shape.Accumulate)
            {
                c[..(shape.M * shape.N)].Clear();
            }

            return;
        }

        var partition = GemmPartition.Plan(shape, TKernel.Rows, TKernel.Columns, threads);
        int nextRow = 0;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new GemmJob(pa, pb, pc, shape, partition, &nextRow);
            if (partition.Parts == 1)
            {
                GemmDriver<TKernel>.RunBand(job, 0, shape.M, 0, shape.N);
            }
            else
            {
                GemmWorkers.Run(&GemmDriver<TKernel>.RunPart, job, partition.Parts);
            }
        }
    }
}
