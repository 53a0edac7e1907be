using BitOnnx.Onnx.Contract;
using OnnxType = BitOnnx.Onnx.TensorElementType;

namespace BitOnnx.Onnx.Tests.Runtime;

/// <summary>Small models built with the graph builder; each names the operator pattern it exercises.</summary>
internal static class TestModels
{
    /// <summary>y = x·W + b with x [batch, K] (symbolic batch), W [K, N], b [N].</summary>
    public static byte[] MatMulAdd(float[] w, float[] b, int k, int n)
    {
        var g = new OnnxGraphBuilder("matmul_add");
        var x = g.Input("x", OnnxType.Float, ["batch", k]);
        var weights = g.Initializer("W", w, [k, n]);
        var bias = g.Initializer("b", b, [n]);
        var product = g.Node("MatMul", [x, weights]);
        var y = g.Node("Add", [product, bias], output: "y");
        g.Output(y, OnnxType.Float, ["batch", n]);
        return Serialize(g);
    }

    /// <summary>y = x·DequantizeLinear(Wq, scale, zero_point) with int8 Wq [K, N] and per-tensor scale.</summary>
    public static byte[] DequantizeMatMul(sbyte[] wq, float scale, sbyte zeroPoint, int k, int n)
    {
        var g = new OnnxGraphBuilder("dq_matmul");
        var x = g.Input("x", OnnxType.Float, ["batch", k]);
        var q = g.Initializer("W_q", wq, [k, n]);
        var s = g.Scalar("W_scale", scale);
        var zp = g.Scalar("W_zero_point", zeroPoint);
        var w = g.Node("DequantizeLinear", [q, s, zp]);
        var y = g.Node("MatMul", [x, w], output: "y");
        g.Output(y, OnnxType.Float, ["batch", n]);
        return Serialize(g);
    }

    /// <summary>
    /// x -> DynamicQuantizeLinear -> (x_q uint8, x_scale, x_zero_point) -> MatMulInteger(x_q, Wq int8, x_zp, w_zp) -> y_int int32.
    /// Exposes every intermediate so tests can check each against the integer reference.
    /// </summary>
    public static byte[] DynamicQuantizeMatMulInteger(sbyte[] wq, sbyte wZeroPoint, int k, int n)
    {
        var g = new OnnxGraphBuilder("dynamic_quantize_matmul_integer");
        var x = g.Input("x", OnnxType.Float, ["batch", k]);
        var q = g.Initializer("W_q", wq, [k, n]);
        var wzp = g.Scalar("W_zero_point", wZeroPoint);
        var quantized = g.Node("DynamicQuantizeLinear", [x], ["x_q", "x_scale", "x_zero_point"]);
        var y = g.Node("MatMulInteger", [quantized[0], q, quantized[2], wzp], output: "y_int");
        g.Output(quantized[0], OnnxType.UInt8, ["batch", k]);
        g.Output(quantized[1], OnnxType.Float, []);
        g.Output(quantized[2], OnnxType.UInt8, []);
        g.Output(y, OnnxType.Int32, ["batch", n]);
        return Serialize(g);
    }

    /// <summary>
    /// The usual dynamic int8 linear: y = Cast(MatMulInteger(DynamicQuantizeLinear(x), Wq))·(x_scale·w_scale), with a
    /// symmetric int8 weight. ORT fuses this at ORT_ENABLE_ALL into com.microsoft DynamicQuantizeMatMul.
    /// </summary>
    public static byte[] DynamicQuantizeMatMulFloat(sbyte[] wq, float wScale, int k, int n)
    {
        var g = new OnnxGraphBuilder("dynamic_quantize_matmul");
        var x = g.Input("x", OnnxType.Float, ["batch", k]);
        var q = g.Initializer("W_q", wq, [k, n]);
        var ws = g.Scalar("W_scale", wScale);
        var quantized = g.Node("DynamicQuantizeLinear", [x], 3);
        var product = g.Node("MatMulInteger", [quantized[0], q, quantized[2]]);
        var asFloat = g.Node("Cast", [product], new NodeAttributes { { "to", (long)OnnxType.Float } });
        var scale = g.Node("Mul", [quantized[1], ws]);
        var y = g.Node("Mul", [asFloat, scale], output: "y");
        g.Output(y, OnnxType.Float, ["batch", n]);
        return Serialize(g);
    }

    /// <summary>
    /// com.microsoft MatMulNBits: y = x·Wᵀ-blocked, with B uint8 [N, K/bs, bs·bits/8] (low bits first),
    /// scales [N·K/bs] and zero points: packed uint8 [N·ceil((K/bs)·bits/8)], float [N·K/bs] (<paramref name="floatZeroPoints"/>),
    /// or none (both null: the operator's default, 2^(bits−1)). <paramref name="accuracyLevel"/> null leaves the attribute out.
    /// </summary>
    public static byte[] MatMulNBits(byte[] packedB, float[] scales, byte[]? packedZeroPoints, int k, int n, int bits, int blockSize,
        long? accuracyLevel = null, float[]? floatZeroPoints = null)
    {
        int blocks = NBitsPacking.Blocks(k, blockSize);
        var g = new OnnxGraphBuilder("matmul_nbits");
        var x = g.Input("x", OnnxType.Float, ["batch", k]);
        var b = g.Initializer("B", packedB, [n, blocks, blockSize * bits / 8]);
        var s = g.Initializer("scales", scales, [n * blocks]);
        var inputs = new List<TensorRef> { x, b, s };
        if (packedZeroPoints is not null) inputs.Add(g.Initializer("zero_points", packedZeroPoints, [packedZeroPoints.Length]));
        else if (floatZeroPoints is not null) inputs.Add(g.Initializer("zero_points", floatZeroPoints, [floatZeroPoints.Length]));
        var attributes = new NodeAttributes { { "K", k }, { "N", n }, { "bits", bits }, { "block_size", blockSize } };
        if (accuracyLevel is long level) attributes.Add("accuracy_level", level);
        var y = g.Node("MatMulNBits", inputs, attributes, output: "y", domain: OnnxVersions.MicrosoftDomain);
        g.Output(y, OnnxType.Float, ["batch", n]);
        return Serialize(g);
    }

    /// <summary>y = x + c for x float [1, width]: the smallest useful model.</summary>
    public static byte[] AddConstant(int width, float constant)
    {
        var g = new OnnxGraphBuilder("add_constant");
        var x = g.Input("x", OnnxType.Float, [1, width]);
        var c = g.Scalar("c", constant);
        var y = g.Node("Add", [x, c], output: "y");
        g.Output(y, OnnxType.Float, [1, width]);
        return Serialize(g);
    }

    /// <summary>Two inputs of different types: y = Cast(ids→float)·scale + x, ids int64 [batch, 3], x float [batch, 3].</summary>
    public static byte[] TwoInputs()
    {
        var g = new OnnxGraphBuilder("two_inputs");
        var ids = g.Input("ids", OnnxType.Int64, ["batch", 3]);
        var x = g.Input("x", OnnxType.Float, ["batch", 3]);
        var asFloat = g.Node("Cast", [ids], new NodeAttributes { { "to", (long)OnnxType.Float } });
        var y = g.Node("Add", [asFloat, x], output: "y");
        var flag = g.Node("Greater", [y, g.Scalar("zero", 0f)], output: "positive");
        g.Output(y, OnnxType.Float, ["batch", 3]);
        g.Output(flag, OnnxType.Bool, ["batch", 3]);
        return Serialize(g);
    }

    /// <summary>
    /// The smallest modular-addition model: logits = one_hot((a + b) mod P) from tokens [batch, 3] = [a, b, =], with the
    /// metadata bitonnx.p. Its answers are known in closed form, so tests of ModelSession need no trained model.
    /// </summary>
    public static OnnxModel ExactModularAddition(int p, ExportMetadata? metadata = null)
    {
        var g = new OnnxGraphBuilder("exact_modular_addition");
        var tokens = g.Input("tokens", OnnxType.Int64, ["batch", 3]);
        var a = g.Node("Gather", [tokens, g.Scalar("first", 0L)], new NodeAttributes { { "axis", 1L } });
        var b = g.Node("Gather", [tokens, g.Scalar("second", 1L)], new NodeAttributes { { "axis", 1L } });
        var sum = g.Node("Mod", [g.Node("Add", [a, b]), g.Scalar("p", (long)p)]);
        var eye = new float[p * p];
        for (int i = 0; i < p; i++) eye[i * p + i] = 1f;
        var logits = g.Node("Gather", [g.Initializer("eye", eye, [p, p]), sum], output: "logits");
        g.Output(logits, OnnxType.Float, ["batch", p]);
        var meta = (metadata ?? new ExportMetadata(p)).Entries();
        return new OnnxModel(g.Build(meta));
    }

    public static byte[] Serialize(OnnxGraphBuilder g) => new OnnxModel(g.Build()).ToBytes();
}
