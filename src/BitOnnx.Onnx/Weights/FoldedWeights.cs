using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Export;
using BitOnnx.Onnx.Proto;

namespace BitOnnx.Onnx.Weights;

/// <summary>One folded weight: its values in TransformerLens layout and that layout's shape.</summary>
public sealed record FoldedWeight(string Name, float[] Data, int[] Shape);

/// <summary>
/// The folded weights of a bitonnx export by TransformerLens name, in TransformerLens layout, whatever their storage: a
/// float (or double) initializer of that name as it is; <c>NAME.codes</c> (int8) dequantized as (codes − zero_point)·scale;
/// <c>NAME.nbits</c> (2-bit codes of a com.microsoft MatMulNBits node, or unpacked at load) read by
/// <see cref="NBitsCodes"/> as the [K, N] matrix of x·W and put back in the parameter's layout (W_Q/W_K/W_V
/// [heads, d_model, d_head] from [d_model, heads·d_head]; W_O and the rank-2 weights share the matrix's memory order).
/// The parameters and their shapes are those of the model's config (<c>bitonnx.config</c>, <see cref="ParameterSet.Zeros"/>):
/// graph constants (scales, masks, shapes) are never taken for weights, and a stored weight that does not have its
/// parameter's shape is an error, not a guess.
/// </summary>
public sealed class FoldedWeights
{
    private const string CodesSuffix = ".codes";

    private readonly OnnxModel _model;
    private readonly string _name;
    private readonly Dictionary<string, Func<FoldedWeight>> _readers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _headsFirst = new(StringComparer.Ordinal);

    /// <summary>Indexes the weights of <paramref name="model"/> (<paramref name="name"/> names it in errors); values are read when asked for.</summary>
    /// <exception cref="ModelContractException">The model carries no <c>bitonnx.config</c>, so which initializers are weights is unknown.</exception>
    public FoldedWeights(OnnxModel model, string name)
    {
        _model = model;
        _name = name;
        Config = ExportMetadata.Read(model, name).Config
            ?? throw new ModelContractException(
                $"Model '{name}' carries no bitonnx.config metadata, so its weights' names and shapes are unknown and none can be read; re-export it with bitonnx export.");
        for (var l = 0; l < Config.NLayers; l++)
            _headsFirst.UnionWith([ParameterNames.Query(l), ParameterNames.Key(l), ParameterNames.Value(l)]);
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var nBitsNodes = model.Graph.Node.Where(n => n.OpType == "MatMulNBits" && n.Input.Count > 1)
            .ToDictionary(n => n.Input[1], StringComparer.Ordinal);
        foreach (var entry in ParameterSet.Zeros(Config).Entries)
        {
            var weight = entry.Name;
            var shape = entry.Shape;
            if (initializers.TryGetValue(weight, out var t) && OnnxTensor.ElementTypeOf(t) is TensorElementType.Float or TensorElementType.Double)
                _readers[weight] = () => Stored(weight, t, shape.ToArray(), QuantizedInitializers.AsFloat(_model, weight));
            else if (initializers.TryGetValue(weight + CodesSuffix, out var codes))
                _readers[weight] = () => Stored(weight, codes, shape.ToArray(), Dequantized(weight, codes.Name));
            else if (nBitsNodes.TryGetValue(weight + NBitsCodes.PackedSuffix, out var node))
                _readers[weight] = () => Layout(weight, shape.ToArray(), NBitsCodes.ReadMatMulNBits(_model, node, out var k, out var n), k, n);
            else if (NBitsCodes.HoldsUnpacked(model, weight))
                _readers[weight] = () => Layout(weight, shape.ToArray(), NBitsCodes.ReadUnpacked(_model, weight, out var k, out var n)!, k, n);
        }
        Names = [.. _readers.Keys];
    }

    /// <summary>The config the parameters' names and shapes come from.</summary>
    public TransformerConfig Config { get; }

    /// <summary>The parameters the model stores, in the config's order (a graph may leave some out, e.g. W_E of an embedded-input export that does not keep it).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The named weight, read (and unpacked or dequantized) anew on every call; false when the model does not store it.</summary>
    public bool TryRead(string name, out FoldedWeight weight)
    {
        weight = null!;
        if (!_readers.TryGetValue(name, out var read)) return false;
        weight = read();
        return true;
    }

    private FoldedWeight Stored(string weight, TensorProto stored, int[] shape, float[] values)
    {
        var dims = stored.Dims.Select(d => checked((int)d)).ToArray();
        if (!dims.SequenceEqual(shape))
            throw new OnnxFormatException(null, $"Model '{_name}': '{stored.Name}' is [{string.Join(", ", dims)}]; its config's {weight} is [{string.Join(", ", shape)}].");
        return new FoldedWeight(weight, values, shape);
    }

    private float[] Dequantized(string weight, string codes)
    {
        var node = _model.Graph.Node.FirstOrDefault(n => n.OpType == "DequantizeLinear" && n.Input.Count >= 2 && n.Input[0] == codes);
        if (node is not null) return QuantizedInitializers.Dequantize(_model, node);
        // int8-dynamic keeps the codes for MatMulInteger and multiplies by NAME.scale after the integer product.
        var scale = weight + ".scale";
        if (!QuantizedInitializers.Has(_model, scale))
            throw new OnnxFormatException(null, $"'{codes}' has no DequantizeLinear consumer and no '{scale}': cannot tell its scale.");
        return QuantizedInitializers.Dequantize(_model, codes, scale, weight + ".zero_point");
    }

    /// <summary>The [K, N] matrix of x·W in the parameter's TransformerLens layout.</summary>
    private FoldedWeight Layout(string weight, int[] shape, float[] matrix, int k, int n)
    {
        var headsFirst = _headsFirst.Contains(weight);
        var fits = headsFirst
            ? shape.Length == 3 && shape[1] == k && shape[0] * shape[2] == n
            : shape.Length >= 1 && shape[^1] == n && shape[..^1].Aggregate(1, (a, b) => a * b) == k;
        if (!fits)
            throw new OnnxFormatException(null, $"Model '{_name}': '{weight}{NBitsCodes.PackedSuffix}' unpacks to [{k}, {n}], which is not its config's {weight} [{string.Join(", ", shape)}].");
        if (!headsFirst) return new FoldedWeight(weight, matrix, shape);
        // Matrix column head·dHead + e holds W[head, row, e].
        int heads = shape[0], dHead = shape[2];
        var tl = new float[matrix.Length];
        for (var row = 0; row < k; row++)
            for (var head = 0; head < heads; head++)
                for (var e = 0; e < dHead; e++)
                    tl[(head * k + row) * dHead + e] = matrix[row * n + head * dHead + e];
        return new FoldedWeight(weight, tl, shape);
    }
}
