namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Which way round to compute a weight gradient C = Aᵀ·B (A stored [k×m], B [k×n], k the batch): as given, or as
/// Cᵀ = Bᵀ·A, the same form with the operands swapped, followed by a transpose of C. Each element is the same fused
/// multiply-add chain in k order either way (a·b + c rounds the same as b·a + c), so the choice changes no bit.
/// Why: with a long k, both operands stream through L2 depth block by depth block, each beside its next block fetched
/// ahead, and an A block is m × 256 floats; the wide way round (m ≤ n) holds less at once and ran faster, on AVX-512
/// and AVX2 alike: Hᵀ·dR (512×128, k = 3831) computed as dRᵀ·H took 0.94-0.97 of the time, Rᵀ·dLogits (128×113) as
/// dLogitsᵀ·R 0.86-0.91, while turning Xᵀ·dH (128×512) round took 1.04-1.05 (docs/speed-and-grokfast.md).
/// </summary>
internal static class GemmOrientation
{
    /// <summary>
    /// Shortest k for which a product is turned round: the transposes in and out of the scratch (2·m·n floats, 4 when
    /// accumulating) then cost under 1/250 of the product's m·n·k multiply-adds.
    /// </summary>
    public const int MinDepth = 1024;

    public static bool ComputesTransposed(in GemmShape shape) =>
        shape.TransposeA && !shape.TransposeB && shape.K >= MinDepth && shape.M > shape.N;

    /// <summary>The shape of Cᵀ = op(B)ᵀ·op(A)ᵀ: operands swapped, each transpose flag the other's negation.</summary>
    public static GemmShape Transposed(in GemmShape shape) =>
        new(shape.N, shape.M, shape.K, !shape.TransposeB, !shape.TransposeA, shape.Accumulate);
}
