using BitOnnx.Core.Model;

namespace BitOnnx.Onnx.Export;

/// <summary>Emits y = x·W for a folded linear in each <see cref="WeightFormat"/>; x is [..., Rows], y is [..., Columns].</summary>
internal sealed class LinearEmitter(GraphWriter w, WeightFormat format)
{
    /// <summary>MatMulNBits' smallest block size; narrow test models use it and need little padding.</summary>
    public const int NBitsMinBlockSize = 16;
    /// <summary>
    /// The largest block used: every block stores a float scale per column although a tensor has one scale, so at
    /// P = 113 blocks of 16 spent 48 KiB on repeated scales; blocks of 128 (one per d_model rows) spend 6 KiB.
    /// </summary>
    public const int NBitsMaxBlockSize = 128;
    private const int NBitsZeroPoint = 2;

    public TensorRef Emit(TensorRef x, FoldedLinear linear, string output)
    {
        if (format != WeightFormat.Float && linear.Codes is null)
            throw new ExportException($"'{WeightFormats.Name(format)}' stores binary or ternary codes, but this model is full precision. Use --weights float.");
        return format switch
        {
            WeightFormat.Float => w.Node("MatMul", [x, AsMatrix(w.Values(linear.Name, linear.Values, linear.Shape.ToLongArray()), linear)], output),
            WeightFormat.Int8 => w.Node("MatMul", [x, AsMatrix(Dequantized(linear), linear)], output),
            WeightFormat.Int2 => NBits(x, linear, output),
            _ => Dynamic(x, linear, output),
        };
    }

    /// <summary>
    /// The folded weight itself as the float [Rows, Columns] matrix, for a table that is gathered from (the embedding)
    /// rather than multiplied by. float: the folded values; int8: DequantizeLinear of the codes; int2: ONNX has no 2-bit
    /// dequantize that ONNX Runtime runs, so the matrix is MatMulNBits of the [Rows, Rows] identity (made in the graph
    /// by OneHot over Range): each output is one code times the scale, exact, and the file keeps only the 2-bit codes.
    /// </summary>
    public TensorRef Matrix(FoldedLinear linear)
    {
        if (linear.Shape.Rank != 2) throw new ArgumentException($"{linear.Name} is not a matrix.", nameof(linear));
        if (format != WeightFormat.Float && linear.Codes is null)
            throw new ExportException($"'{WeightFormats.Name(format)}' stores binary or ternary codes, but this model is full precision. Use --weights float.");
        switch (format)
        {
            case WeightFormat.Float:
                return w.Values(linear.Name, linear.Values, linear.Shape.ToLongArray());
            case WeightFormat.Int2:
                var indices = w.Node("Range", [w.G.Scalar($"{linear.Name}.identity_start", 0L), w.G.Scalar($"{linear.Name}.identity_limit", (long)linear.Rows),
                    w.G.Scalar($"{linear.Name}.identity_delta", 1L)]);
                var identity = w.Node("OneHot", [indices, w.G.Scalar($"{linear.Name}.identity_depth", (long)linear.Rows),
                    w.Values($"{linear.Name}.identity_values", [0f, 1f], 2)], $"{linear.Name}.identity", new NodeAttributes { { "axis", -1L } });
                return NBits(identity, linear, $"{linear.Name}.dequantized");
            default:
                return Dequantized(linear);
        }
    }

    /// <summary>Turns a tensor in the parameter's TransformerLens layout into the [Rows, Columns] matrix.</summary>
    private TensorRef AsMatrix(TensorRef tensor, FoldedLinear linear)
    {
        if (linear.Shape.Rank == 2) return tensor;
        var moved = linear.HeadsFirst ? w.Transpose(tensor, [1, 0, 2]) : tensor;
        return w.Node("Reshape", [moved, w.Shape($"{linear.Name}.matrix_shape", linear.Rows, linear.Columns)]);
    }

    private TensorRef Codes(FoldedLinear linear) =>
        w.G.Initializer($"{linear.Name}.codes", linear.Codes!, linear.Shape.ToLongArray());

    private TensorRef Dequantized(FoldedLinear linear)
    {
        var scale = w.Scalar($"{linear.Name}.scale", linear.Scale);
        var zero = w.G.Scalar($"{linear.Name}.zero_point", (sbyte)0);
        var dequantized = w.Node("DequantizeLinear", [Codes(linear), scale, zero]);
        return dequantized;
    }

    /// <summary>
    /// com.microsoft MatMulNBits, bits = 2: codes −1/0/+1 stored as 1/2/3 with zero point 2, four to a byte, low bits
    /// first, B laid out [Columns, blocks, blockSize/4]. Rows are padded with the zero point to a whole block.
    /// </summary>
    private TensorRef NBits(TensorRef x, FoldedLinear linear, string output)
    {
        int k = linear.Rows, n = linear.Columns, blockSize = NBitsBlockSize(k), blocks = (k + blockSize - 1) / blockSize, blob = blockSize * 2 / 8;
        var packed = new byte[n * blocks * blob];
        for (var col = 0; col < n; col++)
            for (var row = 0; row < blocks * blockSize; row++)
            {
                var q = row < k ? linear.CodeAt(row, col) + NBitsZeroPoint : NBitsZeroPoint;
                var bit = row % blockSize * 2;
                packed[(col * blocks + row / blockSize) * blob + bit / 8] |= (byte)(q << (bit % 8));
            }
        var zeroBytesPerColumn = (blocks * 2 + 7) / 8;
        var zeroPoints = new byte[n * zeroBytesPerColumn];
        for (var col = 0; col < n; col++)
            for (var b = 0; b < blocks; b++)
                zeroPoints[col * zeroBytesPerColumn + b * 2 / 8] |= (byte)(NBitsZeroPoint << (b * 2 % 8));
        var scales = Enumerable.Repeat(linear.Scale, n * blocks).ToArray();
        var inputs = new[]
        {
            x,
            w.G.Initializer($"{linear.Name}.nbits", packed, [n, blocks, blob]),
            w.G.Initializer($"{linear.Name}.nbits_scales", scales, [n * blocks]),
            w.G.Initializer($"{linear.Name}.nbits_zero_points", zeroPoints, [zeroPoints.Length]),
        };
        return w.Node("MatMulNBits", inputs, output,
            new NodeAttributes { { "K", k }, { "N", n }, { "bits", 2 }, { "block_size", blockSize } }, OnnxVersions.MicrosoftDomain);
    }

    /// <summary>The smallest power of two from 16 to 128 that holds the K rows in one block, else 128.</summary>
    public static int NBitsBlockSize(int k)
    {
        var size = NBitsMinBlockSize;
        while (size < k && size < NBitsMaxBlockSize) size *= 2;
        return size;
    }

    /// <summary>
    /// y ≈ (x_q − x_zp)·codes · (x_scale · w_scale): activations quantized to uint8 per call (DynamicQuantizeLinear),
    /// weights exact int8 codes, integer product in int32. Only the activation rounding is approximate.
    /// </summary>
    private TensorRef Dynamic(TensorRef x, FoldedLinear linear, string output)
    {
        var quantized = w.G.Node("DynamicQuantizeLinear", [x], [$"{output}.x_q", $"{output}.x_scale", $"{output}.x_zero_point"]);
        var codes = AsMatrix(Codes(linear), linear);
        var product = w.Node("MatMulInteger", [quantized[0], codes, quantized[2], w.G.Scalar($"{linear.Name}.zero_point", (sbyte)0)]);
        var asFloat = w.Node("Cast", [product], attributes: new NodeAttributes { { "to", (long)TensorElementType.Float } });
        var scale = w.Node("Mul", [quantized[1], w.Scalar($"{linear.Name}.scale", linear.Scale)]);
        return w.Node("Mul", [asFloat, scale], output);
    }
}
