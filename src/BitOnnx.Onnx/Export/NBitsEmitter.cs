namespace BitOnnx.Onnx.Export;

/// <summary>
/// How the 2-bit exports reach a folded binary or ternary linear, all over one initializer of codes, <c>NAME.nbits</c>
/// (<see cref="NBitsCodes"/>' layout):
/// <list type="bullet">
/// <item><see cref="Unpacked"/> and <see cref="UnpackedCodes"/>: the weight as a float [K, N] matrix, or its codes as
/// int8, unpacked by standard nodes over initializers only, which ONNX Runtime's constant folding runs once at session
/// load. The file keeps 2 bits per weight; the session holds what a float or int8 export would.</item>
/// <item><see cref="MatMulNBits"/>: com.microsoft MatMulNBits, bits 2, accuracy_level 4, a native block length, uint8
/// zero points. ONNX Runtime 1.32.0's CPU provider runs it on MLAS's native 2-bit kernels (SQNBIT_CompInt8) on AVX2,
/// AVX-VNNI, AVX-512 and AVX-512 VNNI: x is quantized to int8 per block of the row, multiplied in integers, scaled back.</item>
/// </list>
/// </summary>
internal sealed class NBitsEmitter(GraphWriter w, Func<FoldedLinear, TensorRef> scale)
{
    /// <summary>MatMulNBits' accuracy_level 4: int8 activations, int32 accumulation (the only level with 2-bit kernels).</summary>
    public const long Int8Activations = 4;

    private readonly Dictionary<string, TensorRef> _packed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorRef> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorRef> _unpacked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorRef> _unpackedCodes = new(StringComparer.Ordinal);

    /// <summary>y = x·W on MLAS's native 2-bit kernels, with int8 activations.</summary>
    public TensorRef MatMulNBits(TensorRef x, FoldedLinear linear, string output)
    {
        int k = linear.Rows, n = linear.Columns, blockSize = NBitsCodes.BlockSize(k), blocks = NBitsCodes.Blocks(k, blockSize);
        // One scale per column and block, although a tensor has one γ: MatMulNBits has no per-tensor scale.
        var scales = Enumerable.Repeat(linear.Scale, n * blocks).ToArray();
        // Explicit uint8 zero points: MLAS prepacks the weights (and so runs its native kernels) only for uint8 or no zero
        // points (matmul_nbits.cc), and with them the file says its zero point to every runtime.
        var zeroPoints = NBitsCodes.PackedZeroPoints(n, blocks);
        var inputs = new[]
        {
            x,
            Packed(linear),
            w.G.Initializer($"{linear.Name}.nbits_scales", scales, [n * blocks]),
            w.G.Initializer($"{linear.Name}.nbits_zero_points", zeroPoints, [zeroPoints.Length]),
        };
        return w.Node("MatMulNBits", inputs, output, new NodeAttributes
        {
            { "K", k }, { "N", n }, { "bits", NBitsCodes.Bits }, { "block_size", blockSize }, { "accuracy_level", Int8Activations },
        }, OnnxVersions.MicrosoftDomain);
    }

    /// <summary>
    /// The folded weight γ·codes as the float [K, N] matrix of x·W, from the codes of <see cref="Codes"/>. Every input
    /// is an initializer, so ONNX Runtime folds it into one float initializer when it loads the session (at
    /// ORT_ENABLE_BASIC and above; with optimizations off it runs on every call, slower but the same values).
    /// </summary>
    public TensorRef Unpacked(FoldedLinear linear)
    {
        if (_unpacked.TryGetValue(linear.Name, out var existing)) return existing;
        var matrix = w.Node("Mul", [w.Transpose(Codes(linear), [1, 0]), scale(linear)], linear.Name + NBitsCodes.UnpackedSuffix);
        return _unpacked[linear.Name] = matrix;
    }

    /// <summary>The codes as the int8 [K, N] matrix of x·W (without γ), for MatMulInteger; folded at load as <see cref="Unpacked"/> is.</summary>
    public TensorRef UnpackedCodes(FoldedLinear linear)
    {
        if (_unpackedCodes.TryGetValue(linear.Name, out var existing)) return existing;
        var codes = w.Node("Cast", [w.Transpose(Codes(linear), [1, 0])], $"{linear.Name}.unpacked_codes",
            new NodeAttributes { { "to", (long)TensorElementType.Int8 } });
        return _unpackedCodes[linear.Name] = codes;
    }

    /// <summary>
    /// The codes −1, 0, +1 as a float [N, K] tensor, from B [N, blocks, blob]: each byte unsqueezed and shifted right by
    /// 0, 2, 4 and 6 (BitShift), the low two bits kept (BitwiseAnd 3), the blocks of a column joined and cut to K
    /// (Reshape, Slice), the zero point taken off (Cast, Sub).
    /// </summary>
    private TensorRef Codes(FoldedLinear linear)
    {
        if (_codes.TryGetValue(linear.Name, out var existing)) return existing;
        int k = linear.Rows, n = linear.Columns, blockSize = NBitsCodes.BlockSize(k), blocks = NBitsCodes.Blocks(k, blockSize);
        var name = linear.Name;
        var bytes = w.Node("Unsqueeze", [Packed(linear), w.Shape($"{name}.unpack.byte_axis", 3)]);
        var shifts = w.G.Initializer($"{name}.unpack.shifts", new byte[] { 0, 2, 4, 6 }, [4]);
        var shifted = w.Node("BitShift", [bytes, shifts], attributes: new NodeAttributes { { "direction", "RIGHT" } });
        var stored = w.Node("BitwiseAnd", [shifted, w.G.Scalar($"{name}.unpack.low_bits", (byte)3)]);
        var columns = w.Node("Reshape", [stored, w.Shape($"{name}.unpack.columns", n, blocks * blockSize)]);
        var cut = w.Node("Slice", [columns, w.Shape($"{name}.unpack.start", 0), w.Shape(name + NBitsCodes.RowsSuffix, k), w.Shape($"{name}.unpack.axis", 1)]);
        var asFloat = w.Node("Cast", [cut], attributes: new NodeAttributes { { "to", (long)w.Element } });
        return _codes[name] = w.Node("Sub", [asFloat, w.Scalar($"{name}.unpack.zero_point", NBitsCodes.ZeroPoint)]);
    }

    /// <summary>B of <paramref name="linear"/>, written once however many nodes read it.</summary>
    private TensorRef Packed(FoldedLinear linear)
    {
        if (_packed.TryGetValue(linear.Name, out var existing)) return existing;
        int k = linear.Rows, n = linear.Columns, blockSize = NBitsCodes.BlockSize(k);
        var packed = NBitsCodes.Pack(k, n, blockSize, linear.CodeAt);
        return _packed[linear.Name] = w.G.Initializer(linear.Name + NBitsCodes.PackedSuffix, packed, [n, NBitsCodes.Blocks(k, blockSize), NBitsCodes.BlobBytes(blockSize)]);
    }
}
