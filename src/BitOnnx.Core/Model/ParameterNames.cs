namespace BitOnnx.Core.Model;

/// <summary>TransformerLens names of the parameters, the names checkpoints and ONNX initializers use.</summary>
public static class ParameterNames
{
    public const string Embed = "embed.W_E";
    public const string PosEmbed = "pos_embed.W_pos";
    public const string FinalNormWeight = "ln_final.w";
    public const string Unembed = "unembed.W_U";

    public static string Query(int layer) => $"blocks.{layer}.attn.W_Q";
    public static string Key(int layer) => $"blocks.{layer}.attn.W_K";
    public static string Value(int layer) => $"blocks.{layer}.attn.W_V";
    public static string Output(int layer) => $"blocks.{layer}.attn.W_O";
    public static string MlpIn(int layer) => $"blocks.{layer}.mlp.W_in";
    public static string MlpOut(int layer) => $"blocks.{layer}.mlp.W_out";
}

/// <summary>One named tensor inside a <see cref="ParameterSet"/>.</summary>
/// <param name="Quantizable">True for the tensors that binary/ternary modes quantize: the linears, and W_E and W_U when the config's quant scope is all.</param>
public sealed record ParameterInfo(string Name, Shape Shape, int Offset, bool Quantizable);
