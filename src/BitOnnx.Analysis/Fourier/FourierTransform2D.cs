using BitOnnx.Analysis.Kernels;

namespace BitOnnx.Analysis.Fourier;

/// <summary>
/// Â = F·A·Fᵀ for many (a, b) maps at once. Maps are stored channel-minor, X[(a·P + b)·C + c], so both
/// contractions are single matrix products: T = F·X viewed as [P, P·C] (contracts a), then for each x,
/// Â[x] = F·T[x] with T[x] viewed as [P, C] (contracts b). Output layout Â[(x·P + y)·C + c].
/// </summary>
public static class FourierTransform2D
{
    /// <summary>Transforms <paramref name="channels"/> maps; <paramref name="scratch"/> must hold P·P·C doubles.</summary>
    public static void Transform(FourierBasis basis, ReadOnlySpan<double> maps, int channels, Span<double> result, Span<double> scratch)
    {
        int p = basis.P;
        int size = p * p * channels;
        if (maps.Length < size || result.Length < size || scratch.Length < size)
            throw new ArgumentException($"2-D Fourier transform: buffers must hold P·P·C = {size} values.");
        MatMul.Multiply(basis.Matrix, maps, scratch, p, p, p * channels);
        for (int x = 0; x < p; x++)
        {
            var slab = scratch.Slice(x * p * channels, p * channels);
            var outSlab = result.Slice(x * p * channels, p * channels);
            MatMul.Multiply(basis.Matrix, slab, outSlab, p, p, channels, parallel: channels >= 256);
        }
    }

    /// <summary>Transforms one P×P map (row-major, [a, b]) into a new array [x, y].</summary>
    public static double[] Transform(FourierBasis basis, ReadOnlySpan<double> map)
    {
        int p = basis.P;
        var result = new double[p * p];
        Transform(basis, map, 1, result, new double[p * p]);
        return result;
    }

    /// <summary>Scalar reference: Â[x, y, c] = Σ_a Σ_b F[x, a]·F[y, b]·A[a, b, c].</summary>
    public static double[] TransformReference(FourierBasis basis, ReadOnlySpan<double> maps, int channels)
    {
        int p = basis.P;
        var result = new double[p * p * channels];
        for (int x = 0; x < p; x++)
            for (int y = 0; y < p; y++)
                for (int c = 0; c < channels; c++)
                {
                    double s = 0;
                    for (int a = 0; a < p; a++)
                        for (int b = 0; b < p; b++)
                            s += basis[x, a] * basis[y, b] * maps[(a * p + b) * channels + c];
                    result[(x * p + y) * channels + c] = s;
                }
        return result;
    }
}
