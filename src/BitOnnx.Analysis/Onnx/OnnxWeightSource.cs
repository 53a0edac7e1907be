using BitOnnx.Analysis.Inputs;
using BitOnnx.Onnx;
using BitOnnx.Onnx.Contract;
using BitOnnx.Onnx.Weights;

namespace BitOnnx.Analysis.Onnx;

/// <summary>
/// An ONNX model's folded weights as an <see cref="IWeightSource"/>: <see cref="FoldedWeights"/> (the parameters of the
/// model's <c>bitonnx.config</c>, whatever their storage, in TransformerLens layout), each read once and kept.
/// </summary>
public sealed class OnnxWeightSource : IWeightSource
{
    private readonly FoldedWeights _weights;
    private readonly Dictionary<string, ProbeTensor> _cache = new(StringComparer.Ordinal);

    /// <summary>Indexes the model's weights; values are read when first asked for. <paramref name="name"/> names the model in errors (default: its graph's name).</summary>
    /// <exception cref="ModelContractException">The model carries no <c>bitonnx.config</c>.</exception>
    public OnnxWeightSource(OnnxModel model, string? name = null) => _weights = new FoldedWeights(model, name ?? model.Graph.Name);

    /// <inheritdoc />
    public IReadOnlyCollection<string> Names => _weights.Names;

    /// <inheritdoc />
    public bool TryGet(string name, out ProbeTensor weight)
    {
        lock (_cache)
        {
            if (_cache.TryGetValue(name, out weight!)) return true;
            if (!_weights.TryRead(name, out var read)) return false;
            weight = _cache[name] = new ProbeTensor(read.Name, read.Data, read.Shape).Validated();
            return true;
        }
    }
}
