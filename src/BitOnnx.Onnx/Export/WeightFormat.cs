using BitOnnx.Core;
namespace BitOnnx.Onnx.Export;

/// <summary>How the quantizable linears are stored in an exported graph.</summary>
public enum WeightFormat
{
    /// <summary>Folded values as float32; runs on every ONNX runtime.</summary>
    Float,
    /// <summary>Codes {−1, 0, +1} as int8 with a per-tensor scale, through DequantizeLinear → MatMul (exact).</summary>
    Int8,
    /// <summary>com.microsoft MatMulNBits with bits = 2: four codes per byte, explicit zero point 2.</summary>
    Int2,
    /// <summary>int8 codes with DynamicQuantizeLinear + MatMulInteger on the activations: fastest, approximate.</summary>
    Int8Dynamic,
}

public static class WeightFormats
{
    public static IReadOnlyList<string> Names { get; } = ["float", "int8", "int2", "int8-dynamic"];

    public static string Name(WeightFormat f) => f switch
    {
        WeightFormat.Float => "float",
        WeightFormat.Int8 => "int8",
        WeightFormat.Int2 => "int2",
        _ => "int8-dynamic",
    };

    public static WeightFormat Parse(string name) => name.ToLowerInvariant() switch
    {
        "float" => WeightFormat.Float,
        "int8" => WeightFormat.Int8,
        "int2" => WeightFormat.Int2,
        "int8-dynamic" => WeightFormat.Int8Dynamic,
        _ => throw new ExportException($"Unknown weight format '{name}'. Valid formats: {string.Join(", ", Names)}."),
    };

    /// <summary>Storage bits per quantized weight (scales and zero points excluded).</summary>
    public static int BitsPerWeight(WeightFormat f) => f switch
    {
        WeightFormat.Float => 32,
        WeightFormat.Int2 => 2,
        _ => 8,
    };
}

/// <summary>An export that cannot be done as asked; the message says why and what to do.</summary>
public sealed class ExportException(string message) : BitOnnxException(message);
