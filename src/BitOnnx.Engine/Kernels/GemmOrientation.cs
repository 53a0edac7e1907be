namespace BitOnnx.Engine.Kernels;

/// <summary>
/// Which way round to compute a weight gradient C = Aᵀ·B (A stored [k×m], B [k×n], k the batch): as given, or as
/// Cᵀ = Bᵀ·A, the same form with the operands swapped, followed by a transpose of C. Each element is the same fused
/// multiply-add chain in k order either way (a·b + c rounds the same as b·a + c), so the choice changes no bit.
/// Why: with a long k, both operands stream through L2 once, depth block by depth block, beside the next ones fetched
/// ahead; the wide-C way round (m ≤ n) keeps less of A there and ran faster, on AVX-512 and AVX2 alike: Hᵀ·dR
/// (512×128, k = 3831) in 0.94-0.97 of the time as dRᵀ·H, Rᵀ·dLogits (128×113) in 0.86-0.91 as dLogitsᵀ·R, while
/// turning Xᵀ·dH (128×512) round took 1.04-1.05 (docs/speed-and-grokfast.md).
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
