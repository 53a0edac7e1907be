namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>
/// Packs blockwise n-bit weights by hand, from the com.microsoft MatMulNBits contrib-op spec (onnxruntime
/// docs/ContribOperators.md), independently of the exporter: B uint8 [N, k_blocks, blob_size] with
/// k_blocks = ceil(K / block_size) and blob_size = block_size·bits/8, codes packed low bits first along K (the element at
/// position j of a block at bit j·bits); rows past K in the last block are padding; scales [N·k_blocks]; zero points
/// uint8 [N·ceil(k_blocks·bits/8)], packed the same way per column, each column starting on a new byte.
/// </summary>
internal static class NBitsPacking
{
    public static int Blocks(int k, int blockSize) => (k + blockSize - 1) / blockSize;

    public static byte[] PackWeights(int[,] q, int k, int n, int bits, int blockSize, int padding = 0)
    {
        int blocks = Blocks(k, blockSize);
        int blobBytes = blockSize * bits / 8;
        var packed = new byte[n * blocks * blobBytes];
        for (int col = 0; col < n; col++)
        {
            for (int row = 0; row < blocks * blockSize; row++)
            {
                int code = row < k ? q[col, row] : padding;
                int bitIndex = (row % blockSize) * bits;
                packed[(col * blocks + row / blockSize) * blobBytes + bitIndex / 8] |= (byte)(code << (bitIndex % 8));
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
