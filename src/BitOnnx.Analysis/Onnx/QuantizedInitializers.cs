using BitOnnx.Onnx;
using BitOnnx.Onnx.Proto;

namespace BitOnnx.Analysis.Onnx;

/// <summary>
/// Turns stored weights back into the values the graph multiplies by: float or double initializers as they are,
/// DequantizeLinear (x − zero_point)·scale, and com.microsoft MatMulNBits blocks (q − zero_point)·scale unpacked to the
/// [K, N] matrix of y = x·W. The products are formed in float, as ONNX Runtime forms them.
/// </summary>
public static class QuantizedInitializers
{
    /// <summary>An initializer's values as float (float, double, int8 and uint8 initializers).</summary>
    public static float[] AsFloat(OnnxModel model, string name)
    {
        var t = model.GetInitializer(name);
        return OnnxTensor.ElementTypeOf(t) switch
        {
            TensorElementType.Float => OnnxTensor.ToArray<float>(t),
            TensorElementType.Double => Array.ConvertAll(OnnxTensor.ToArray<double>(t), v => (float)v),
            TensorElementType.Int8 => Array.ConvertAll(OnnxTensor.ToArray<sbyte>(t), v => (float)v),
            TensorElementType.UInt8 => Array.ConvertAll(OnnxTensor.ToArray<byte>(t), v => (float)v),
            var other => throw new OnnxFormatException(null, $"Initializer '{name}' holds {other} values, not numbers this reader knows."),
        };
    }

    /// <summary>True when the model holds an initializer of that name.</summary>
    public static bool Has(OnnxModel model, string name) => model.Graph.Initializer.Any(t => t.Name == name);

    /// <summary>
    /// DequantizeLinear of initializers: (x − zero_point)·scale with a per-tensor scale, or a per-axis scale along
    /// <paramref name="axis"/>. Returns the values in x's layout.
    /// </summary>
    public static float[] Dequantize(OnnxModel model, string x, string scale, string? zeroPoint, long axis = 1)
    {
        var codes = AsFloat(model, x);
        var scales = AsFloat(model, scale);
        var zeros = zeroPoint is { Length: > 0 } && Has(model, zeroPoint) ? AsFloat(model, zeroPoint) : [0f];
        if (scales.Length == 1)
        {
            var values = new float[codes.Length];
            for (int i = 0; i < codes.Length; i++) values[i] = (codes[i] - zeros[0]) * scales[0];
            return values;
        }
        var dims = model.GetInitializer(x).Dims.ToArray();
        int rank = dims.Length, ax = (int)(axis < 0 ? axis + rank : axis);
        if (ax < 0 || ax >= rank || dims[ax] != scales.Length || zeros.Length is not 1 && zeros.Length != scales.Length)
            throw new OnnxFormatException(null, $"DequantizeLinear of '{x}': {scales.Length} scales do not match axis {axis} of [{string.Join(", ", dims)}].");
        long inner = 1;
        for (int d = ax + 1; d < rank; d++) inner *= dims[d];
        var result = new float[codes.Length];
        for (long i = 0; i < codes.Length; i++)
        {
            int channel = (int)(i / inner % scales.Length);
            result[i] = (codes[i] - zeros[zeros.Length == 1 ? 0 : channel]) * scales[channel];
        }
        return result;
    }

    /// <summary>The dequantized operand of a DequantizeLinear node whose inputs are all initializers.</summary>
    public static float[] Dequantize(OnnxModel model, NodeProto dequantizeLinear)
    {
        var inputs = dequantizeLinear.Input;
        long axis = dequantizeLinear.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 1;
        return Dequantize(model, inputs[0], inputs[1], inputs.Count > 2 ? inputs[2] : null, axis);
    }

    /// <summary>
    /// The [K, N] weight matrix of a MatMulNBits node (y = x·W): B is [N, blocks, blockSize·bits/8] with codes packed low
    /// bits first; scales [N·blocks]; zero points packed the same way per column (default 2^(bits−1)).
    /// </summary>
    public static float[] UnpackNBits(OnnxModel model, NodeProto node, out int k, out int n)
    {
        long Attr(string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I
            ?? throw new OnnxFormatException(null, $"MatMulNBits node '{node.Name}' lacks the attribute '{name}'.");
        k = checked((int)Attr("K"));
        n = checked((int)Attr("N"));
        int bits = checked((int)Attr("bits")), blockSize = checked((int)Attr("block_size"));
        if (bits is not (2 or 4 or 8)) throw new OnnxFormatException(null, $"MatMulNBits node '{node.Name}' has bits = {bits}; 2, 4 or 8 are known.");
        int blocks = (k + blockSize - 1) / blockSize, blob = blockSize * bits / 8;
        var packed = OnnxTensor.ToArray<byte>(model.GetInitializer(node.Input[1]));
        var scales = AsFloat(model, node.Input[2]);
        if (packed.Length != n * blocks * blob || scales.Length != n * blocks)
            throw new OnnxFormatException(null, $"MatMulNBits node '{node.Name}': {packed.Length} code bytes and {scales.Length} scales do not fit K = {k}, N = {n}, block {blockSize}.");
        string? zeroName = node.Input.Count > 3 && node.Input[3].Length > 0 ? node.Input[3] : null;
        var zeroTensor = zeroName is null ? null : model.GetInitializer(zeroName);
        byte[]? packedZeros = zeroTensor is not null && OnnxTensor.ElementTypeOf(zeroTensor) == TensorElementType.UInt8 ? OnnxTensor.ToArray<byte>(zeroTensor) : null;
        float[]? floatZeros = zeroTensor is not null && packedZeros is null ? AsFloat(model, zeroName!) : null;
        int zeroBytesPerColumn = (blocks * bits + 7) / 8, mask = (1 << bits) - 1;
        float defaultZero = 1 << (bits - 1);

        var w = new float[k * n];
        for (int col = 0; col < n; col++)
            for (int b = 0; b < blocks; b++)
            {
                float zero = packedZeros is not null ? packedZeros[col * zeroBytesPerColumn + b * bits / 8] >> (b * bits % 8) & mask
                    : floatZeros?[col * blocks + b] ?? defaultZero;
                float scale = scales[col * blocks + b];
                for (int i = 0; i < blockSize; i++)
                {
                    int row = b * blockSize + i;
                    if (row >= k) break;
                    int bit = i * bits;
                    int q = packed[(col * blocks + b) * blob + bit / 8] >> (bit % 8) & mask;
                    w[row * n + col] = (q - zero) * scale;
                }
            }
        return w;
    }
}
