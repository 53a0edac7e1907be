using BitOnnx.Onnx.Proto;

namespace BitOnnx.Onnx.Weights;

/// <summary>
/// Turns stored weights back into the values the graph multiplies by: float or double initializers as they are, and
/// DequantizeLinear (x − zero_point)·scale. The products are formed in float, as ONNX Runtime forms them. 2-bit codes
/// are <see cref="Export.NBitsCodes"/>' to read, the one class that packs and unpacks them.
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
}
