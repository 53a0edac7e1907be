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
        MultiplyOnThisMachine(a, b, c, shape, threads, EpilogueKind.None, default);
    }

    /// <summary>
    /// C[m×n] = max(A·op(B), 0), A row-major [m×k]: the ReLU is applied to each row of tiles as soon as it is
    /// finished, while it is in L1, instead of in a pass of its own over C. Bit for bit
    /// <see cref="Relu.Forward"/> of <see cref="Multiply"/>'s result; arguments and errors as there.
    /// </summary>
    public static void MultiplyRelu(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transposeB = false, int threads = 1)
    {
        GemmShape shape = GemmShape.Validate(a, b, c, m, n, k, false, transposeB, false, threads);
        MultiplyOnThisMachine(a, b, c, shape, threads, EpilogueKind.Relu, default);
    }

    /// <summary>
    /// C[m×n] = A·op(B) where <paramref name="mask"/> &gt; 0 and 0 elsewhere, A row-major [m×k], mask [m×n] like C:
    /// ReLU's backward with the ReLU's output as the mask, applied per row of tiles as in <see cref="MultiplyRelu"/>.
    /// Bit for bit <see cref="Relu.Backward"/>(mask, product, product).
    /// </summary>
    public static void MultiplyWherePositive(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> mask,
        Span<float> c, int m, int n, int k, bool transposeB = false, int threads = 1)
    {
        GemmShape shape = GemmShape.Validate(a, b, c, m, n, k, false, transposeB, false, threads);
        GemmShape.ValidateMask(mask, c, m, n);
        MultiplyOnThisMachine(a, b, c, shape, threads, EpilogueKind.KeepWherePositive, mask);
    }

    /// <summary>
    /// Two independent products (neither writes what the other reads or writes). With two threads they run side by
    /// side, one whole product per thread, instead of one after the other with each split over both: a weight
    /// gradient and the input gradient beside it took 0.86-0.99 of the time that way (AVX2, P = 113 shapes), since a
    /// split product pays twice for its packing and waits for its slower half. With one thread, or more than two,
    /// they run one after the other on all of them. Who computes a product never changes its bits.
    /// </summary>
    internal static void MultiplyTogether(GemmCall first, GemmCall second, int threads)
    {
        GemmShape firstShape = first.Validate(threads), secondShape = second.Validate(threads);
        first.RequireIndependentOf(second);
        using var timing = Training.EpochProfile.Time(Training.EpochPart.Gemm);
        Training.EpochProfile.AddGemmFlops(firstShape.M, firstShape.N, firstShape.K);
        Training.EpochProfile.AddGemmFlops(secondShape.M, secondShape.N, secondShape.K);
        if (threads != 2)
        {
            first.Run(firstShape, threads);
            second.Run(secondShape, threads);
            return;
        }

        EngineWorkers.Run(part => (part == 0 ? first : second).Run(part == 0 ? firstShape : secondShape, 1), 2);
    }

    private static void MultiplyOnThisMachine(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        in GemmShape shape, int threads, EpilogueKind epilogue, ReadOnlySpan<float> mask)
    {
        using var timing = Training.EpochProfile.Time(Training.EpochPart.Gemm);
        Training.EpochProfile.AddGemmFlops(shape.M, shape.N, shape.K);
        MultiplyUntimed(a, b, c, shape, threads, epilogue, mask);
    }

    /// <summary>The product with this machine's widest kernel, outside the epoch profile (whose scopes the caller opens).</summary>
    internal static void MultiplyUntimed(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        in GemmShape shape, int threads, EpilogueKind epilogue, ReadOnlySpan<float> mask)
    {
        if (Avx512MicroKernel.IsSupported)
        {
            Multiply<Avx512MicroKernel>(a, b, c, shape, threads, epilogue, mask);
        }
        else if (Avx2MicroKernel.IsSupported)
        {
            Multiply<Avx2MicroKernel>(a, b, c, shape, threads, epilogue, mask);
        }
        else
        {
            Multiply<ScalarMicroKernel>(a, b, c, shape, threads, epilogue, mask);
        }
    }

    /// <summary>
    /// The product with a chosen micro-kernel (tests run every kernel the machine supports); the mask, with C's
    /// shape, only for <see cref="EpilogueKind.KeepWherePositive"/>.
    /// </summary>
    internal static unsafe void Multiply<TKernel>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        in GemmShape shape, int threads, EpilogueKind epilogue = EpilogueKind.None, ReadOnlySpan<float> mask = default)
        where TKernel : struct, IGemmMicroKernel
    {
        // An epilogue belongs to C's own tiles, so such a product is computed as given (it is never a weight gradient).
        if (epilogue != EpilogueKind.None || !GemmOrientation.ComputesTransposed(shape))
        {
            MultiplyAsGiven<TKernel>(a, b, c, shape, threads, epilogue, mask);
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
        in GemmShape shape, int threads, EpilogueKind epilogue = EpilogueKind.None, ReadOnlySpan<float> mask = default)
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

            fixed (float* pc = c, pm = mask)
            {
                GemmEpilogue.For(epilogue, pc, pm).Apply(pc, shape.M, shape.N, shape.N);
            }

            return;
        }

        var partition = GemmPartition.Plan(shape, TKernel.Rows, TKernel.Columns, threads);
        int nextRow = 0;
        fixed (float* pa = a, pb = b, pc = c, pm = mask)
        {
            var job = new GemmJob(pa, pb, pc, shape, partition, &nextRow, GemmEpilogue.For(epilogue, pc, pm));
            if (partition.Parts == 1)
            {
                GemmDriver<TKernel>.RunBand(job, 0, shape.M, 0, shape.N);
            }
            else
            {
                EngineWorkers.Run(&GemmDriver<TKernel>.RunPart, job, partition.Parts);
            }
        }
    }
}
