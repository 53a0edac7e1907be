using BitOnnx.Onnx.Weights;

namespace BitOnnx.Onnx.Export;

/// <summary>
/// Binary and ternary codes in com.microsoft MatMulNBits' 2-bit layout, the one place they are packed and unpacked.
/// B is uint8 [N, blocks, blockSize/4] for the K × N matrix of y = x·W: column n's K codes run in blocks of
/// <see cref="BlockSize"/>, four to a byte, low bits first; a code c in {−1, 0, +1} is stored as c + <see cref="ZeroPoint"/>
/// (1, 2, 3), and rows past K in the last block hold the zero point, so they add nothing. The zero points, one per column
/// and block, are packed the same way (four to a byte, each column starting on a new byte).
/// </summary>
public static class NBitsCodes
{
    public const int Bits = 2;
    public const int ZeroPoint = 2;

    /// <summary>Initializer and value names of a 2-bit weight NAME: its codes, and the float matrix they unpack to at load.</summary>
    public const string PackedSuffix = ".nbits";
    public const string UnpackedSuffix = ".unpacked";
    internal const string ScaleSuffix = ".scale";
    internal const string RowsSuffix = ".unpack.end";
    internal const string ColumnScalesSuffix = ".column_scales";

    /// <summary>
    /// The block lengths ONNX Runtime 1.32.0 has native 2-bit kernels for (MLAS, SQNBIT_CompInt8: AVX-512 (+VNNI) from
    /// PR #29064, AVX2 (+AVX-VNNI) from PR #29619); with any other length a 2-bit MatMulNBits de-quantizes to float.
    /// </summary>
    public static IReadOnlyList<int> NativeBlockSizes { get; } = [32, 64, 128];

    /// <summary>
    /// The native block length that pads K least, the longer on a tie: 128 for K = 128 and K = 512 (one scale per 128
    /// rows, and int8 activations quantized per 128 values), 32 for K = 72 (3 blocks, 24 rows of padding, not 56).
    /// </summary>
    public static int BlockSize(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var best = NativeBlockSizes[^1];
        foreach (var size in NativeBlockSizes.Reverse())
            if (Padded(k, size) < Padded(k, best)) best = size;
        return best;
    }

    public static int Blocks(int k, int blockSize) => (k + blockSize - 1) / blockSize;

    /// <summary>Bytes per block of codes (four codes a byte).</summary>
    public static int BlobBytes(int blockSize) => blockSize * Bits / 8;

    /// <summary>Zero-point bytes per column: one 2-bit zero point per block, four to a byte.</summary>
    public static int ZeroPointBytesPerColumn(int blocks) => (blocks * Bits + 7) / 8;

    /// <summary>Packs the codes of the K × N matrix, <paramref name="codeAt"/>(k, n) in {−1, 0, +1}, into B [N, blocks, blob].</summary>
    public static byte[] Pack(int k, int n, int blockSize, Func<int, int, int> codeAt)
    {
        int blocks = Blocks(k, blockSize), blob = BlobBytes(blockSize);
        var packed = new byte[n * blocks * blob];
        for (var col = 0; col < n; col++)
            for (var row = 0; row < blocks * blockSize; row++)
            {
                var code = row < k ? codeAt(row, col) : 0;
                if (code is < -1 or > 1) throw new ArgumentOutOfRangeException(nameof(codeAt), code, $"Code ({row}, {col}) is not −1, 0 or +1.");
                var bit = row % blockSize * Bits;
                packed[(col * blocks + row / blockSize) * blob + bit / 8] |= (byte)((code + ZeroPoint) << (bit % 8));
            }
        return packed;
    }

    /// <summary>The zero point of every block of every column, packed as MatMulNBits reads them.</summary>
    public static byte[] PackedZeroPoints(int n, int blocks)
    {
        var perColumn = ZeroPointBytesPerColumn(blocks);
        var packed = new byte[n * perColumn];
        for (var col = 0; col < n; col++)
            for (var b = 0; b < blocks; b++)
                packed[col * perColumn + b * Bits / 8] |= (byte)(ZeroPoint << (b * Bits % 8));
        return packed;
    }

    /// <summary>The scalar reference of <see cref="Pack"/>'s inverse: codes [K, N] (row-major) from B.</summary>
    public static sbyte[] Unpack(ReadOnlySpan<byte> packed, int k, int n, int blockSize)
    {
        int blocks = Blocks(k, blockSize), blob = BlobBytes(blockSize);
        if (packed.Length != n * blocks * blob)
            throw new ArgumentException($"{packed.Length} bytes are not B [{n}, {blocks}, {blob}] for K = {k}, block {blockSize}.", nameof(packed));
        var codes = new sbyte[k * n];
        for (var row = 0; row < k; row++)
            for (var col = 0; col < n; col++)
            {
                var bit = row % blockSize * Bits;
                var stored = (packed[(col * blocks + row / blockSize) * blob + bit / 8] >> (bit % 8)) & 3;
                codes[row * n + col] = (sbyte)(stored - ZeroPoint);
            }
        return codes;
    }

    /// <summary>The inverse of <see cref="PackedZeroPoints"/> for any 2-bit zero points: [N, blocks] (row-major) from their packing.</summary>
    public static byte[] UnpackZeroPoints(ReadOnlySpan<byte> packed, int n, int blocks)
    {
        var perColumn = ZeroPointBytesPerColumn(blocks);
        if (packed.Length != n * perColumn)
            throw new ArgumentException($"{packed.Length} bytes are not the zero points of {n} columns of {blocks} blocks ({perColumn} bytes each).", nameof(packed));
        var zeroPoints = new byte[n * blocks];
        for (var col = 0; col < n; col++)
            for (var b = 0; b < blocks; b++)
                zeroPoints[col * blocks + b] = (byte)((packed[col * perColumn + b * Bits / 8] >> (b * Bits % 8)) & 3);
        return zeroPoints;
    }

    /// <summary>
    /// The float [K, N] matrix of y = x·W that a 2-bit com.microsoft MatMulNBits node over initializers multiplies by:
    /// B unpacked, each block's codes measured from its zero point (uint8, packed as <see cref="PackedZeroPoints"/>;
    /// float; or none, the spec's 2^(bits−1) = <see cref="ZeroPoint"/>) and multiplied by its scale, in float as ONNX
    /// Runtime forms them. Other bit widths are refused: bitonnx writes none, and reading them would be a second layout.
    /// </summary>
    public static float[] ReadMatMulNBits(OnnxModel model, Proto.NodeProto node, out int k, out int n)
    {
        long Attribute(string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I
            ?? throw new OnnxFormatException(null, $"MatMulNBits node '{node.Name}' lacks the attribute '{name}'.");
        k = checked((int)Attribute("K"));
        n = checked((int)Attribute("N"));
        int bits = checked((int)Attribute("bits")), blockSize = checked((int)Attribute("block_size"));
        if (bits != Bits) throw new OnnxFormatException(null, $"MatMulNBits node '{node.Name}' has bits = {bits}; only {Bits}-bit codes are read.");
        int blocks = Blocks(k, blockSize);
        var packed = model.ReadInitializer<byte>(node.Input[1]);
        var scales = QuantizedInitializers.AsFloat(model, node.Input[2]);
        if (packed.Length != n * blocks * BlobBytes(blockSize) || scales.Length != n * blocks)
            throw new OnnxFormatException(null, $"MatMulNBits node '{node.Name}': {packed.Length} code bytes and {scales.Length} scales do not fit K = {k}, N = {n}, block {blockSize}.");
        var codes = Unpack(packed, k, n, blockSize);
        var zeroPoints = ZeroPointsOf(model, node, n, blocks);
        var w = new float[k * n];
        for (var row = 0; row < k; row++)
            for (var col = 0; col < n; col++)
            {
                var block = col * blocks + row / blockSize;
                // The code is the stored value less ZeroPoint; the block's own zero point is taken off the stored value.
                w[row * n + col] = (codes[row * n + col] + ZeroPoint - (zeroPoints?[block] ?? ZeroPoint)) * scales[block];
            }
        return w;
    }

    /// <summary>
    /// The float [K, N] matrix γ·codes that a 2-bit export unpacks NAME to at load (its value <c>NAME.unpacked</c>), read
    /// from the initializers NAME.nbits (B), NAME.unpack.end (K) and NAME.scale (γ; or NAME.column_scales); null when the model holds no such
    /// weight. int2 and int2-exact files carry them for every 2-bit weight; int2-native files for the weights they
    /// multiply constants by, and feed B to MatMulNBits for the others.
    /// </summary>
    public static float[]? ReadUnpacked(OnnxModel model, string weight, out int k, out int n)
    {
        k = n = 0;
        if (UnpackedScale(model, weight) is not { } scaleName) return null;
        var dims = model.GetInitializer(weight + PackedSuffix).Dims;
        if (dims.Count != 3) throw new OnnxFormatException(null, $"'{weight}{PackedSuffix}' has {dims.Count} dimensions; 2-bit codes are [N, blocks, block_size/4].");
        (n, k) = (checked((int)dims[0]), checked((int)model.ReadInitializer<long>(weight + RowsSuffix)[0]));
        var codes = Unpack(model.ReadInitializer<byte>(weight + PackedSuffix), k, n, checked((int)dims[2]) * 8 / Bits);
        var scale = model.ReadInitializer<float>(scaleName)[0];
        return Array.ConvertAll(codes, c => c * scale);
    }

    /// <summary>True when <see cref="ReadUnpacked"/> finds the weight, without unpacking it.</summary>
    public static bool HoldsUnpacked(OnnxModel model, string weight) => UnpackedScale(model, weight) is not null;

    /// <summary>The name of γ when the model holds everything <see cref="ReadUnpacked"/> reads; else null.</summary>
    private static string? UnpackedScale(OnnxModel model, string weight)
    {
        var names = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        // γ is NAME.scale, or, where γ = 1 and only int2's 8-bit linears read it, the per-column NAME.column_scales.
        var scaleName = names.Contains(weight + ScaleSuffix) ? weight + ScaleSuffix : weight + ColumnScalesSuffix;
        return names.Contains(weight + PackedSuffix) && names.Contains(weight + RowsSuffix) && names.Contains(scaleName) ? scaleName : null;
    }

    /// <summary>A MatMulNBits node's zero point per column and block, [N·blocks]; null when it has none.</summary>
    private static float[]? ZeroPointsOf(OnnxModel model, Proto.NodeProto node, int n, int blocks)
    {
        if (node.Input.Count <= 3 || node.Input[3].Length == 0) return null;
        var tensor = model.GetInitializer(node.Input[3]);
        var packed = OnnxTensor.ElementTypeOf(tensor) == TensorElementType.UInt8;
        var values = packed ? OnnxTensor.ToArray<byte>(tensor) : null;
        var zeroPoints = packed ? null : QuantizedInitializers.AsFloat(model, node.Input[3]);
        if (packed ? values!.Length != n * ZeroPointBytesPerColumn(blocks) : zeroPoints!.Length != n * blocks)
            throw new OnnxFormatException(null, $"MatMulNBits node '{node.Name}': zero points '{node.Input[3]}' do not fit {n} columns of {blocks} blocks.");
        return zeroPoints ?? Array.ConvertAll(UnpackZeroPoints(values, n, blocks), z => (float)z);
    }

    private static int Padded(int k, int blockSize) => Blocks(k, blockSize) * blockSize;
}
