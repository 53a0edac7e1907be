using BitOnnx.Core;
namespace BitOnnx.Onnx.Export;

/// <summary>How the quantizable linears are stored in an exported graph.</summary>
public enum WeightFormat
{
    /// <summary>Folded values as float32; runs on every ONNX runtime.</summary>
    Float,
    /// <summary>Codes {−1, 0, +1} as int8 with a per-tensor scale, through DequantizeLinear → MatMul (exact).</summary>
    Int8,
    /// <summary>
    /// Codes in 2 bits, four per byte, unpacked to int8 by nodes that ONNX Runtime folds once at session load, then run
    /// as int8-dynamic runs (DynamicQuantizeLinear + MatMulInteger: activations rounded to 8 bits on every call). Standard
    /// ONNX operators only. Products of constants (block 0's tables, the embedding) are folded at load, exactly.
    /// </summary>
    Int2,
    /// <summary>int8 codes with DynamicQuantizeLinear + MatMulInteger on the activations: fastest, approximate.</summary>
    Int8Dynamic,
    /// <summary>
    /// The same 2-bit codes, unpacked to float weights by nodes that ONNX Runtime folds once at session load: a 2-bit
    /// file that runs as the float graph does, exactly (float activations).
    /// </summary>
    Int2Exact,
    /// <summary>
    /// The same 2-bit codes run by com.microsoft MatMulNBits (bits 2, accuracy_level 4) on ONNX Runtime's native 2-bit
    /// kernels: activations rounded to int8 per block of each row on every call, integer products.
    /// </summary>
    Int2Native,
}

public static class WeightFormats
{
    public static IReadOnlyList<string> Names { get; } = ["float", "int8", "int2", "int2-exact", "int2-native", "int8-dynamic"];

    public static string Name(WeightFormat f) => f switch
    {
        WeightFormat.Float => "float",
        WeightFormat.Int8 => "int8",
        WeightFormat.Int2 => "int2",
        WeightFormat.Int2Exact => "int2-exact",
        WeightFormat.Int2Native => "int2-native",
        _ => "int8-dynamic",
    };

    public static WeightFormat Parse(string name) => name.ToLowerInvariant() switch
    {
        "float" => WeightFormat.Float,
        "int8" => WeightFormat.Int8,
        "int2" => WeightFormat.Int2,
        "int2-exact" => WeightFormat.Int2Exact,
        "int2-native" => WeightFormat.Int2Native,
        "int8-dynamic" => WeightFormat.Int8Dynamic,
        _ => throw new ExportException($"Unknown weight format '{name}'. Valid formats: {string.Join(", ", Names)}."),
    };

    /// <summary>Storage bits per quantized weight (scales and zero points excluded).</summary>
    public static int BitsPerWeight(WeightFormat f) => f switch
    {
        WeightFormat.Float => 32,
        _ when IsTwoBit(f) => 2,
        _ => 8,
    };

    /// <summary>True for the formats that store the codes in 2 bits (<see cref="NBitsCodes"/>).</summary>
    public static bool IsTwoBit(WeightFormat f) => f is WeightFormat.Int2 or WeightFormat.Int2Exact or WeightFormat.Int2Native;

    /// <summary>True where the activations are rounded to 8 bits on every call, so the outputs are approximate.</summary>
    public static bool QuantizesActivations(WeightFormat f) => f is WeightFormat.Int2 or WeightFormat.Int2Native or WeightFormat.Int8Dynamic;
}

/// <summary>An export that cannot be done as asked; the message says why and what to do.</summary>
public sealed class ExportException(string message) : BitOnnxException(message);
