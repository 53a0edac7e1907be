namespace BitOnnx.Onnx;

/// <summary>
/// The one place that states which ONNX IR version and operator sets BitOnnx writes.
/// IR 10 with opset 21 is read by ONNX Runtime 1.30 and by Netron; com.microsoft opset 1 carries
/// ONNX Runtime's contrib operators (MatMulNBits, DynamicQuantizeMatMul, ...).
/// </summary>
public static class OnnxVersions
{
    public const long IrVersion = 10;

    public const string DefaultDomain = "";

    public const long DefaultOpset = 21;

    public const string MicrosoftDomain = "com.microsoft";

    public const long MicrosoftOpset = 1;

    public const string ProducerName = "BitOnnx";

    /// <summary>The opset a node of <paramref name="domain"/> gets when the graph did not state one.</summary>
    public static bool TryGetDefaultOpset(string domain, out long version)
    {
        switch (domain)
        {
            case DefaultDomain:
            case "ai.onnx":
                version = DefaultOpset;
                return true;
            case MicrosoftDomain:
                version = MicrosoftOpset;
                return true;
            default:
                version = 0;
                return false;
        }
    }
}
