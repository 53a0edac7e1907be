namespace BitOnnx.Runtime.Tests;

/// <summary>
/// Packs blockwise n-bit weights into MatMulNBits' layout: B uint8 [N, K/bs, bs·bits/8] with the element at
/// position j of a block stored at bit j·bits (low bits first); zero points packed the same way per column,
/// each column starting on a new byte; scales [N·K/bs] column-major by block.
/// </summary>
internal static class NBitsPacking
{
    public static byte[] PackWeights(int[,] q, int k, int n, int bits, int blockSize)
    {
        int blocks = k / blockSize;
        int blobBytes = blockSize * bits / 8;
        var packed = new byte[n * blocks * blobBytes];
        for (int col = 0; col < n; col++)
        {
            for (int row = 0; row < k; row++)
            {
                int bitIndex = (row % blockSize) * bits;
                packed[(col * blocks + row / blockSize) * blobBytes + bitIndex / 8] |= (byte)(q[col, row] << (bitIndex % 8));
            }
        }

        return packed;
    }

    public static byte[] PackZeroPoints(int[,] zeroPoints, int n, int blocks, int bits)
    {
        int bytesPerColumn = (blocks * bits + 7) / 8;
        var packed = new byte[n * bytesPerColumn];
        for (int col = 0; col < n; col++)
        {
            for (int block = 0; block < blocks; block++)
            {
                int bitIndex = block * bits;
                packed[col * bytesPerColumn + bitIndex / 8] |= (byte)(zeroPoints[col, block] << (bitIndex % 8));
            }
        }

        return packed;
    }

    public static float[] FlattenScales(float[,] scales, int n, int blocks)
    {
        var flat = new float[n * blocks];
        for (int col = 0; col < n; col++)
        {
            for (int block = 0; block < blocks; block++) flat[col * blocks + block] = scales[col, block];
        }

        return flat;
    }
}
