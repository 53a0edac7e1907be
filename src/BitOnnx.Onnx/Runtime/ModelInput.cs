using BitOnnx.Core.Model;
using BitOnnx.Onnx.Contract;
using Microsoft.ML.OnnxRuntime;

namespace BitOnnx.Onnx.Runtime;

/// <summary>What a model's inputs are.</summary>
public enum ModelInputKind
{
    /// <summary><see cref="ModelContract.Tokens"/> int64 [batch, n_ctx].</summary>
    Tokens,

    /// <summary><see cref="ModelContract.Embedded"/> [batch, n_ctx, d_model] (float or double): an --embedded-input export.</summary>
    Embedded,

    /// <summary><see cref="ModelContract.PairA"/> and <see cref="ModelContract.PairB"/> int64 [batch, 1]: a --signature pair export.</summary>
    Pair,
}

/// <summary>
/// Turns token rows [rows, n_ctx] into the feeds of whichever input an exported model takes, so every export runs from
/// tokens: the tokens themselves; A and B (the pair signature, whose '=' is implied); or the token embeddings, looked up
/// in the <c>embed.W_E</c> an embedded-input export carries for this purpose.
/// </summary>
internal sealed class ModelInput
{
    private readonly float[]? _embedding;
    private readonly int _dModel;

    private ModelInput(ModelInputKind kind, string[] names, int nCtx, TensorElementType element, float[]? embedding, int dModel)
    {
        Kind = kind;
        Names = names;
        NCtx = nCtx;
        Element = element;
        _embedding = embedding;
        _dModel = dModel;
    }

    public ModelInputKind Kind { get; }

    /// <summary>The graph inputs fed, in feed order.</summary>
    public string[] Names { get; }

    /// <summary>Tokens per row.</summary>
    public int NCtx { get; }

    /// <summary>The element type of the embedded input (float or double); int64 otherwise.</summary>
    public TensorElementType Element { get; }

    /// <summary>Feeds for rows start..start+count of <paramref name="tokens"/>; the caller disposes them.</summary>
    public OrtValue[] Feed(long[] tokens, int start, int count)
    {
        switch (Kind)
        {
            case ModelInputKind.Tokens:
                return [OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tokens.AsMemory(start * NCtx, count * NCtx), [count, NCtx])];
            case ModelInputKind.Pair:
                var a = new long[count];
                var b = new long[count];
                for (var i = 0; i < count; i++)
                {
                    a[i] = tokens[(start + i) * NCtx];
                    b[i] = tokens[(start + i) * NCtx + 1];
                }
                return [OrtValue.CreateTensorValueFromMemory(a, [count, 1]), OrtValue.CreateTensorValueFromMemory(b, [count, 1])];
            default:
                var values = new float[count * NCtx * _dModel];
                for (var i = 0; i < count * NCtx; i++)
                    _embedding.AsSpan((int)tokens[start * NCtx + i] * _dModel, _dModel).CopyTo(values.AsSpan(i * _dModel, _dModel));
                long[] shape = [count, NCtx, _dModel];
                return [Element == TensorElementType.Double
                    ? OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(values, v => (double)v), shape)
                    : OrtValue.CreateTensorValueFromMemory(values, shape)];
        }
    }

    /// <summary>Reads what <paramref name="session"/> takes; <paramref name="model"/> supplies W_E for an embedded input.</summary>
    public static ModelInput Read(InferenceSession session, OnnxModel model, string name)
    {
        var inputs = session.InputMetadata.Select(i => new ModelValueInfo(i.Key, (TensorElementType)(int)i.Value.ElementDataType, i.Value.Dimensions.ToArray())).ToArray();
        var listing = string.Join("; ", inputs.Select(i => $"{i.Name}: {i.ElementType} [{string.Join(", ", i.Dimensions.Select(d => d < 0 ? "batch" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]"));
        ModelContractException Unknown() => new(
            $"Model '{name}' takes {listing}; a model written by bitonnx export takes '{ModelContract.Tokens}' int64 [batch, 3], " +
            $"'{ModelContract.Embedded}' [batch, 3, d_model] or '{ModelContract.PairA}' and '{ModelContract.PairB}' int64 [batch, 1].");
        if (inputs.Length == 2 && inputs.Select(i => i.Name).Order(StringComparer.Ordinal).SequenceEqual([ModelContract.PairA, ModelContract.PairB])
            && inputs.All(i => i.ElementType == TensorElementType.Int64))
            return new ModelInput(ModelInputKind.Pair, [ModelContract.PairA, ModelContract.PairB], 3, TensorElementType.Int64, null, 0);
        if (inputs.Length != 1) throw Unknown();
        var input = inputs[0];
        var nCtx = input.Dimensions.Length >= 2 && input.Dimensions[1] > 0 ? input.Dimensions[1] : 3;
        if (input.Name == ModelContract.Tokens && input.ElementType == TensorElementType.Int64 && input.Dimensions.Length == 2)
            return new ModelInput(ModelInputKind.Tokens, [input.Name], nCtx, TensorElementType.Int64, null, 0);
        if (input.Name == ModelContract.Embedded && input.ElementType is TensorElementType.Float or TensorElementType.Double
            && input.Dimensions.Length == 3 && input.Dimensions[2] > 0)
        {
            var dModel = input.Dimensions[2];
            var embedding = model.Graph.Initializer.FirstOrDefault(t => t.Name == ParameterNames.Embed) is { } we && we.Dims.Count == 2 && we.Dims[1] == dModel
                ? OnnxTensor.ElementTypeOf(we) == TensorElementType.Double ? Array.ConvertAll(OnnxTensor.ToArray<double>(we), v => (float)v) : OnnxTensor.ToArray<float>(we)
                : null;
            return new ModelInput(ModelInputKind.Embedded, [input.Name], nCtx, input.ElementType, embedding, dModel);
        }
        throw Unknown();
    }

    /// <summary>True when token rows can be fed: always, but for an embedded-input model without the W_E to look them up in.</summary>
    public bool TakesTokens => Kind != ModelInputKind.Embedded || _embedding is not null;

    /// <summary>Token ids this input can feed: the rows of W_E for an embedded input, else any (the caller checks the vocabulary).</summary>
    public int? EmbeddingRows => _embedding is null ? null : _embedding.Length / _dModel;
}
