using System.Text.RegularExpressions;
using BitOnnx.Analysis.Inputs;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Proto;

namespace BitOnnx.Analysis.Onnx;

/// <summary>
/// Folded weights of an ONNX model by TransformerLens name, in TransformerLens layout: a float (or double) initializer
/// of that name as it is; <c>NAME.codes</c> (int8) dequantized as (codes − zero_point)·scale; <c>NAME.nbits</c>
/// (2-bit codes: of a com.microsoft MatMulNBits node, or unpacked at load, NBitsCodes) unpacked to the [K, N] matrix of
/// x·W and put back in the parameter's layout
/// (W_Q/W_K/W_V [heads, d_model, d_head] from [d_model, heads·d_head], using n_heads from the <c>bitonnx.config</c>
/// metadata; W_O and the rank-2 weights share the matrix's memory order). Only names that TransformerLens gives to
/// parameters are listed, so graph constants (scales, masks, shapes) stay out of Σw².
/// </summary>
public sealed partial class OnnxWeightSource : IWeightSource
{
    private const string CodesSuffix = ".codes";
    private const string NBitsSuffix = ".nbits";

    private readonly OnnxModel _model;
    private readonly Dictionary<string, Func<ProbeTensor>> _readers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProbeTensor> _cache = new(StringComparer.Ordinal);
    private readonly int? _heads;

    /// <summary>Indexes the model's weights; values are read when first asked for.</summary>
    public OnnxWeightSource(OnnxModel model)
    {
        _model = model;
        _heads = HeadsFromMetadata(model);
        var nBitsNodes = model.Graph.Node.Where(n => n.OpType == "MatMulNBits" && n.Input.Count > 1)
            .ToDictionary(n => n.Input[1], StringComparer.Ordinal);
        foreach (var t in model.Graph.Initializer)
        {
            string name = t.Name;
            var type = OnnxTensor.ElementTypeOf(t);
            if (IsParameterName(name) && type is TensorElementType.Float or TensorElementType.Double)
            {
                _readers[name] = () => new ProbeTensor(name, QuantizedInitializers.AsFloat(model, name), Dims(t));
            }
            else if (name.EndsWith(CodesSuffix, StringComparison.Ordinal) && IsParameterName(name[..^CodesSuffix.Length]))
            {
                string weight = name[..^CodesSuffix.Length];
                _readers[weight] = () => new ProbeTensor(weight, Dequantized(weight, name), Dims(t));
            }
            else if (name.EndsWith(NBitsSuffix, StringComparison.Ordinal) && IsParameterName(name[..^NBitsSuffix.Length]))
            {
                string weight = name[..^NBitsSuffix.Length];
                if (nBitsNodes.TryGetValue(name, out var node))
                    _readers[weight] = () => Layout(weight, QuantizedInitializers.UnpackNBits(_model, node, out int k, out int n), k, n);
                else if (NBitsCodes.ReadUnpacked(model, weight, out _, out _) is not null)
                    _readers[weight] = () => Layout(weight, NBitsCodes.ReadUnpacked(_model, weight, out int k, out int n)!, k, n);
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Names => _readers.Keys;

    /// <inheritdoc />
    public bool TryGet(string name, out ProbeTensor weight)
    {
        lock (_cache)
        {
            if (_cache.TryGetValue(name, out weight!)) return true;
            if (!_readers.TryGetValue(name, out var read)) return false;
            weight = _cache[name] = read().Validated();
            return true;
        }
    }

    /// <summary>True for names TransformerLens gives to parameters of this architecture family.</summary>
    public static bool IsParameterName(string name) => ParameterName().IsMatch(name);

    private float[] Dequantized(string weight, string codes)
    {
        var node = _model.Graph.Node.FirstOrDefault(n => n.OpType == "DequantizeLinear" && n.Input.Count >= 2 && n.Input[0] == codes);
        if (node is not null) return QuantizedInitializers.Dequantize(_model, node);
        // int8-dynamic keeps the codes for MatMulInteger and multiplies by NAME.scale after the integer product.
        string scale = weight + ".scale";
        if (!QuantizedInitializers.Has(_model, scale))
            throw new OnnxFormatException(null, $"'{codes}' has no DequantizeLinear consumer and no '{scale}': cannot tell its scale.");
        return QuantizedInitializers.Dequantize(_model, codes, scale, weight + ".zero_point");
    }

    /// <summary>The [K, N] matrix of x·W in the parameter's TransformerLens layout.</summary>
    private ProbeTensor Layout(string weight, float[] matrix, int k, int n)
    {
        bool headsFirst = HeadsFirst().IsMatch(weight);
        if (!headsFirst) return new ProbeTensor(weight, matrix, TransformerLensShape(weight, k, n));
        if (_heads is not int h || n % h != 0) return new ProbeTensor(weight, matrix, [k, n]);
        // Matrix column head·dHead + e holds W[head, row, e].
        int dHead = n / h;
        var tl = new float[matrix.Length];
        for (int row = 0; row < k; row++)
            for (int head = 0; head < h; head++)
                for (int e = 0; e < dHead; e++)
                    tl[(head * k + row) * dHead + e] = matrix[row * n + head * dHead + e];
        return new ProbeTensor(weight, tl, [h, k, dHead]);
    }

    private int[] TransformerLensShape(string weight, int k, int n) =>
        weight.EndsWith(".W_O", StringComparison.Ordinal) && _heads is int h && k % h == 0 ? [h, k / h, n] : [k, n];

    private static int[] Dims(TensorProto t) => t.Dims.Select(d => checked((int)d)).ToArray();

    private static int? HeadsFromMetadata(OnnxModel model) => ExportMetadata.Read(model, model.Graph.Name).Config?.NHeads;

    [GeneratedRegex(@"^(embed\.W_E|pos_embed\.W_pos|unembed\.(W_U|b_U)|ln_final\.[wb]|blocks\.\d+\.(attn\.[Wb]_[QKVO]|mlp\.[Wb]_(in|out)|ln\d\.[wb]))$")]
    private static partial Regex ParameterName();

    [GeneratedRegex(@"\.attn\.W_[QKV]$")]
    private static partial Regex HeadsFirst();
}
