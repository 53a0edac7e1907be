using BitOnnx.Core.Model;

namespace BitOnnx.Onnx.Export;

/// <summary>
/// Emits y = x·W for a folded linear in each <see cref="WeightFormat"/>; x is [..., Rows], y is [..., Columns]. A product
/// whose x is itself a constant (block 0's Q/K/V tables are W_E times the weight) goes through
/// <see cref="EmitWithFloatActivations"/>, which writes it so that ONNX Runtime's constant folding computes it once, at load.
/// </summary>
internal sealed class LinearEmitter
{
    private readonly GraphWriter _w;
    private readonly WeightFormat _format;
    private readonly NBitsEmitter _nbits;
    private readonly Dictionary<string, TensorRef> _scales = new(StringComparer.Ordinal);

    public LinearEmitter(GraphWriter writer, WeightFormat weights)
    {
        _w = writer;
        _format = weights;
        _nbits = new NBitsEmitter(writer, Scale);
    }

    public TensorRef Emit(TensorRef x, FoldedLinear linear, string output)
    {
        RequireCodes(linear);
        return _format switch
        {
            WeightFormat.Float => _w.Node("MatMul", [x, AsMatrix(_w.Values(linear.Name, linear.Values, linear.Shape.ToLongArray()), linear)], output),
            WeightFormat.Int8 => _w.Node("MatMul", [x, AsMatrix(Dequantized(linear), linear)], output),
            WeightFormat.Int2 => RowScaledDynamic(x, linear, output),
            WeightFormat.Int2Native => _nbits.MatMulNBits(x, linear, output),
            WeightFormat.Int2Exact => _w.Node("MatMul", [x, _nbits.Unpacked(linear)], output),
            _ => Dynamic(x, linear, AsMatrix(Codes(linear), linear), Scale(linear), output),
        };
    }

    /// <summary>
    /// y = x·W with x kept in float: the 2-bit formats multiply by the weight unpacked from its codes by nodes over
    /// initializers (<see cref="NBitsEmitter.Unpacked"/>); other formats as <see cref="Emit"/>. Two products take it:
    /// one whose x is made of initializers only (block 0's tables), which ONNX Runtime then folds at load, exactly (a
    /// MatMulNBits would not be folded and would redo it on every call, and 8-bit activations would round a constant);
    /// and the unembedding, whose input is kept in float as BitNet keeps its output head in full precision (rounding the
    /// normalized residual to 8 bits moves the logits themselves, and on the fully quantized models it flipped a few
    /// near-tied pairs).
    /// </summary>
    public TensorRef EmitWithFloatActivations(TensorRef x, FoldedLinear linear, string output)
    {
        RequireCodes(linear);
        return WeightFormats.IsTwoBit(_format)
            ? _w.Node("MatMul", [x, _nbits.Unpacked(linear)], output)
            : Emit(x, linear, output);
    }

    /// <summary>
    /// The folded weight itself as the float [Rows, Columns] matrix, for a table that is gathered from (the embedding)
    /// rather than multiplied by. float: the folded values; int8 and int8-dynamic: DequantizeLinear of the codes; the 2-bit
    /// formats: the codes unpacked by nodes over initializers, which ONNX Runtime folds once at load.
    /// </summary>
    public TensorRef Matrix(FoldedLinear linear)
    {
        if (linear.Shape.Rank != 2) throw new ArgumentException($"{linear.Name} is not a matrix.", nameof(linear));
        RequireCodes(linear);
        return _format switch
        {
            WeightFormat.Float => _w.Values(linear.Name, linear.Values, linear.Shape.ToLongArray()),
            _ when WeightFormats.IsTwoBit(_format) => _nbits.Unpacked(linear),
            _ => Dequantized(linear),
        };
    }

    private void RequireCodes(FoldedLinear linear)
    {
        if (_format != WeightFormat.Float && linear.Codes is null)
            throw new ExportException($"'{WeightFormats.Name(_format)}' stores binary or ternary codes, but this model is full precision. Use --weights float.");
    }

    /// <summary>Turns a tensor in the parameter's TransformerLens layout into the [Rows, Columns] matrix.</summary>
    private TensorRef AsMatrix(TensorRef tensor, FoldedLinear linear)
    {
        if (linear.Shape.Rank == 2) return tensor;
        var moved = linear.HeadsFirst ? _w.Transpose(tensor, [1, 0, 2]) : tensor;
        return _w.Node("Reshape", [moved, _w.Shape($"{linear.Name}.matrix_shape", linear.Rows, linear.Columns)]);
    }

    private TensorRef Codes(FoldedLinear linear) =>
        _w.G.Initializer($"{linear.Name}.codes", linear.Codes!, linear.Shape.ToLongArray());

    /// <summary>γ of <paramref name="linear"/> as the initializer NAME.scale, written once however many nodes read it.</summary>
    private TensorRef Scale(FoldedLinear linear)
    {
        if (_scales.TryGetValue(linear.Name, out var existing)) return existing;
        return _scales[linear.Name] = _w.Scalar(linear.Name + NBitsCodes.ScaleSuffix, linear.Scale);
    }

    private TensorRef Dequantized(FoldedLinear linear)
    {
        var scale = Scale(linear);
        var zero = _w.G.Scalar($"{linear.Name}.zero_point", (sbyte)0);
        var dequantized = _w.Node("DequantizeLinear", [Codes(linear), scale, zero]);
        return dequantized;
    }

    /// <summary>
    /// y ≈ (x_q − x_zp)·codes · (x_scale · w_scale): activations quantized to uint8 per call (DynamicQuantizeLinear: one
    /// scale and zero point for the whole tensor x), weights exact int8 codes [Rows, Columns], integer product in int32.
    /// Only the activation rounding is approximate. ONNX Runtime fuses the five nodes into DynamicQuantizeMatMul.
    /// </summary>
    /// <summary>
    /// <see cref="Dynamic"/> on each row divided by its largest |value| first (a row of zeros by 1e-5, as BitNet clamps),
    /// and multiplied back after: every row then spans at most [−1, 1], so each activation is rounded to within
    /// max|row|/255 whatever the other rows in the call hold (one scale for the whole tensor would round the rows with
    /// small values coarsely, and a row's result would depend on its batch).
    /// </summary>
    private TensorRef RowScaledDynamic(TensorRef x, FoldedLinear linear, string output)
    {
        var absMax = _w.Node("ReduceMax", [_w.Node("Abs", [x]), _w.Shape($"{output}.row_axis", -1)], attributes: new NodeAttributes { { "keepdims", 1L } });
        var rowScale = _w.Node("Max", [absMax, _w.Scalar($"{output}.row_scale_floor", 1e-5)], $"{output}.row_scale");
        var unit = _w.Node("Div", [x, rowScale]);
        // ONNX Runtime fuses MatMulInteger → Cast → Mul(x_scale · w_scale) into one MatMulIntegerToFloat, but first drops
        // a Mul by the scalar 1 (unscaled binary weights), which breaks the pattern; a scale per column survives.
        var weightScale = linear.Scale == 1f
            ? _w.Values(linear.Name + NBitsCodes.ColumnScalesSuffix, Enumerable.Repeat(1f, linear.Columns).ToArray(), linear.Columns)
            : Scale(linear);
        var product = Dynamic(unit, linear, _nbits.UnpackedCodes(linear), weightScale, $"{output}.unit");
        return _w.Node("Mul", [product, rowScale], output);
    }

    private TensorRef Dynamic(TensorRef x, FoldedLinear linear, TensorRef codes, TensorRef weightScale, string output)
    {
        var quantized = _w.G.Node("DynamicQuantizeLinear", [x], [$"{output}.x_q", $"{output}.x_scale", $"{output}.x_zero_point"]);
        var product = _w.Node("MatMulInteger", [quantized[0], codes, quantized[2], _w.G.Scalar($"{linear.Name}.zero_point", (sbyte)0)]);
        var asFloat = _w.Node("Cast", [product], attributes: new NodeAttributes { { "to", (long)TensorElementType.Float } });
        var scale = _w.Node("Mul", [quantized[1], weightScale]);
        return _w.Node("Mul", [asFloat, scale], output);
    }
}
